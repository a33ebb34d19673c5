using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
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
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ShadowModel",
                table: "RequestLog",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ShadowTier",
                table: "RequestLog",
                type: "text",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RouterShadows",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Model = table.Column<string>(type: "text", nullable: false),
                    Policy = table.Column<int>(type: "integer", nullable: false),
                    QualityTarget = table.Column<double>(type: "double precision", nullable: false),
                    Lambda = table.Column<double>(type: "double precision", nullable: false),
                    StartedBy = table.Column<string>(type: "text", nullable: false),
                    StartedAt = table.Column<long>(type: "bigint", nullable: false),
                    StoppedBy = table.Column<string>(type: "text", nullable: true),
                    StoppedAt = table.Column<long>(type: "bigint", nullable: true)
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
