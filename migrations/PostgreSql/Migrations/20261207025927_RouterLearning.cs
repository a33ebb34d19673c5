using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class RouterLearning : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "Explored",
                table: "RequestLog",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<double>(
                name: "Propensity",
                table: "RequestLog",
                type: "double precision",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "RouterLearning",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false),
                    AutoPublish = table.Column<bool>(type: "boolean", nullable: false),
                    UpdatedAt = table.Column<long>(type: "bigint", nullable: true),
                    UpdatedBy = table.Column<string>(type: "text", nullable: true),
                    LeaseOwner = table.Column<string>(type: "text", nullable: true),
                    LeaseExpiresAt = table.Column<long>(type: "bigint", nullable: true),
                    LastRunAt = table.Column<long>(type: "bigint", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RouterLearning", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "RouterProposals",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    Model = table.Column<string>(type: "text", nullable: false),
                    PublishedModel = table.Column<string>(type: "text", nullable: true),
                    State = table.Column<int>(type: "integer", nullable: false),
                    Trigger = table.Column<string>(type: "text", nullable: false),
                    CreatedBy = table.Column<string>(type: "text", nullable: false),
                    CreatedAt = table.Column<long>(type: "bigint", nullable: false),
                    From = table.Column<long>(type: "bigint", nullable: false),
                    To = table.Column<long>(type: "bigint", nullable: false),
                    DataJson = table.Column<string>(type: "text", nullable: false),
                    ComparisonJson = table.Column<string>(type: "text", nullable: false),
                    Verdict = table.Column<string>(type: "text", nullable: true),
                    DecidedAt = table.Column<long>(type: "bigint", nullable: true),
                    DecidedBy = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RouterProposals", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RouterProposals_CreatedAt",
                table: "RouterProposals",
                column: "CreatedAt");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RouterLearning");

            migrationBuilder.DropTable(
                name: "RouterProposals");

            migrationBuilder.DropColumn(
                name: "Explored",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "Propensity",
                table: "RequestLog");
        }
    }
}
