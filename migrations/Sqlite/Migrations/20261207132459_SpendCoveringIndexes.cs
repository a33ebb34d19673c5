using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class SpendCoveringIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ConversationId_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_EndUser_Timestamp",
                table: "RequestLog");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ConversationId_Spend",
                table: "RequestLog",
                columns: new[] { "ConversationId", "Timestamp", "CostNanoUsd", "BaselineCostNanoUsd" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_EndUser_Spend",
                table: "RequestLog",
                columns: new[] { "EndUser", "Timestamp", "CostNanoUsd", "BaselineCostNanoUsd" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ConversationId_Spend",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_EndUser_Spend",
                table: "RequestLog");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ConversationId_Timestamp",
                table: "RequestLog",
                columns: new[] { "ConversationId", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_EndUser_Timestamp",
                table: "RequestLog",
                columns: new[] { "EndUser", "Timestamp" });
        }
    }
}
