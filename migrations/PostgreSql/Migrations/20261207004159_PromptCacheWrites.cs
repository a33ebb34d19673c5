using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class PromptCacheWrites : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "CacheWriteTokens",
                table: "RequestLog",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<decimal>(
                name: "CacheWritePerMillion",
                table: "ModelPrices",
                type: "numeric",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "CacheWriteTokens",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "CacheWritePerMillion",
                table: "ModelPrices");
        }
    }
}
