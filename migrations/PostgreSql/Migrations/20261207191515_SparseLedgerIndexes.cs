using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <inheritdoc />
    public partial class SparseLedgerIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RequestLog_BatchId",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_CacheLevel_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ConversationId_Spend",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_EndUser_Spend",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ExperimentId_Arm",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Review_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ShadowModel_Timestamp",
                table: "RequestLog");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_CacheLevel_Timestamp",
                table: "RequestLog",
                columns: new[] { "CacheLevel", "Timestamp" },
                filter: "\"CacheLevel\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ConversationId_Spend",
                table: "RequestLog",
                columns: new[] { "ConversationId", "Timestamp", "CostNanoUsd", "BaselineCostNanoUsd" },
                filter: "\"ConversationId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_EndUser_Spend",
                table: "RequestLog",
                columns: new[] { "EndUser", "Timestamp", "CostNanoUsd", "BaselineCostNanoUsd" },
                filter: "\"EndUser\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ExperimentId_Arm",
                table: "RequestLog",
                columns: new[] { "ExperimentId", "Arm" },
                filter: "\"ExperimentId\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Review_Timestamp",
                table: "RequestLog",
                columns: new[] { "Review", "Timestamp" },
                filter: "\"Review\" = 1");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ShadowModel_Timestamp",
                table: "RequestLog",
                columns: new[] { "ShadowModel", "Timestamp" },
                filter: "\"ShadowModel\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RequestLog_CacheLevel_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ConversationId_Spend",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_EndUser_Spend",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ExperimentId_Arm",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Review_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ShadowModel_Timestamp",
                table: "RequestLog");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_BatchId",
                table: "RequestLog",
                column: "BatchId");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_CacheLevel_Timestamp",
                table: "RequestLog",
                columns: new[] { "CacheLevel", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ConversationId_Spend",
                table: "RequestLog",
                columns: new[] { "ConversationId", "Timestamp", "CostNanoUsd", "BaselineCostNanoUsd" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_EndUser_Spend",
                table: "RequestLog",
                columns: new[] { "EndUser", "Timestamp", "CostNanoUsd", "BaselineCostNanoUsd" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ExperimentId_Arm",
                table: "RequestLog",
                columns: new[] { "ExperimentId", "Arm" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Review_Timestamp",
                table: "RequestLog",
                columns: new[] { "Review", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ShadowModel_Timestamp",
                table: "RequestLog",
                columns: new[] { "ShadowModel", "Timestamp" });
        }
    }
}
