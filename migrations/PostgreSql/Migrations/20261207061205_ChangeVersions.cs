using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

#pragma warning disable CA1814 // Prefer jagged arrays over multidimensional

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class ChangeVersions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ChangeVersions",
                columns: table => new
                {
                    Topic = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChangeVersions", x => x.Topic);
                });

            migrationBuilder.InsertData(
                table: "ChangeVersions",
                columns: new[] { "Topic", "Version" },
                values: new object[,]
                {
                    { "budgets", 0L },
                    { "cache", 0L },
                    { "keys", 0L },
                    { "routing", 0L }
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ChangeVersions");
        }
    }
}
