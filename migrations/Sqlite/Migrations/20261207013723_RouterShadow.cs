using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class RouterShadow : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ShadowDecision",
                table: "RequestLog",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ShadowModel",
                table: "RequestLog",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ShadowTier",
                table: "RequestLog",
                type: "TEXT",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RouterShadows",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Model = table.Column<string>(type: "TEXT", nullable: false),
                    Policy = table.Column<int>(type: "INTEGER", nullable: false),
                    QualityTarget = table.Column<double>(type: "REAL", nullable: false),
                    Lambda = table.Column<double>(type: "REAL", nullable: false),
                    StartedBy = table.Column<string>(type: "TEXT", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StoppedBy = table.Column<string>(type: "TEXT", nullable: true),
                    StoppedAt = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RouterShadows", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ShadowModel_Timestamp",
                table: "RequestLog",
                columns: new[] { "ShadowModel", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RouterShadows_StoppedAt",
                table: "RouterShadows",
                column: "StoppedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RouterShadows");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ShadowModel_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "ShadowDecision",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "ShadowModel",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "ShadowTier",
                table: "RequestLog");
        }
    }
}
