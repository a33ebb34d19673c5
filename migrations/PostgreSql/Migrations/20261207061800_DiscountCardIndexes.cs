using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class DiscountCardIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Timestamp_Batch",
                table: "RequestLog",
                column: "Timestamp",
                filter: "\"BatchId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Timestamp_CacheReads",
                table: "RequestLog",
                column: "Timestamp",
                filter: "\"CachedTokens\" > 0");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Timestamp_Batch",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Timestamp_CacheReads",
                table: "RequestLog");
        }
    }
}
