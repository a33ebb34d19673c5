using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class DashboardRollups : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "HourRollups",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Start = table.Column<long>(type: "INTEGER", nullable: false),
                    Tier = table.Column<string>(type: "TEXT", nullable: true),
                    Model = table.Column<string>(type: "TEXT", nullable: true),
                    ApiKeyId = table.Column<long>(type: "INTEGER", nullable: true),
                    Rule = table.Column<string>(type: "TEXT", nullable: true),
                    Arm = table.Column<string>(type: "TEXT", nullable: true),
                    Requests = table.Column<long>(type: "INTEGER", nullable: false),
                    Answered = table.Column<long>(type: "INTEGER", nullable: false),
                    Failed = table.Column<long>(type: "INTEGER", nullable: false),
                    Rejected = table.Column<long>(type: "INTEGER", nullable: false),
                    FallbackRequests = table.Column<long>(type: "INTEGER", nullable: false),
                    Fallbacks = table.Column<long>(type: "INTEGER", nullable: false),
                    Escalations = table.Column<long>(type: "INTEGER", nullable: false),
                    PromptTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    CachedTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletionTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    CostNanoUsd = table.Column<long>(type: "INTEGER", nullable: false),
                    BaselineCostNanoUsd = table.Column<long>(type: "INTEGER", nullable: false),
                    LatencySumMs = table.Column<double>(type: "REAL", nullable: false),
                    LatencyHistogram = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_HourRollups", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "MinuteRollups",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Start = table.Column<long>(type: "INTEGER", nullable: false),
                    Tier = table.Column<string>(type: "TEXT", nullable: true),
                    Model = table.Column<string>(type: "TEXT", nullable: true),
                    ApiKeyId = table.Column<long>(type: "INTEGER", nullable: true),
                    Rule = table.Column<string>(type: "TEXT", nullable: true),
                    Arm = table.Column<string>(type: "TEXT", nullable: true),
                    Requests = table.Column<long>(type: "INTEGER", nullable: false),
                    Answered = table.Column<long>(type: "INTEGER", nullable: false),
                    Failed = table.Column<long>(type: "INTEGER", nullable: false),
                    Rejected = table.Column<long>(type: "INTEGER", nullable: false),
                    FallbackRequests = table.Column<long>(type: "INTEGER", nullable: false),
                    Fallbacks = table.Column<long>(type: "INTEGER", nullable: false),
                    Escalations = table.Column<long>(type: "INTEGER", nullable: false),
                    PromptTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    CachedTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    CompletionTokens = table.Column<long>(type: "INTEGER", nullable: false),
                    CostNanoUsd = table.Column<long>(type: "INTEGER", nullable: false),
                    BaselineCostNanoUsd = table.Column<long>(type: "INTEGER", nullable: false),
                    LatencySumMs = table.Column<double>(type: "REAL", nullable: false),
                    LatencyHistogram = table.Column<byte[]>(type: "BLOB", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_MinuteRollups", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ApiKeyId_Timestamp",
                table: "RequestLog",
                columns: new[] { "ApiKeyId", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_CostNanoUsd",
                table: "RequestLog",
                column: "CostNanoUsd");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_LatencyMs",
                table: "RequestLog",
                column: "LatencyMs");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Model_Timestamp",
                table: "RequestLog",
                columns: new[] { "Model", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Rule_Timestamp",
                table: "RequestLog",
                columns: new[] { "Rule", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Status_Timestamp",
                table: "RequestLog",
                columns: new[] { "Status", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Tier_Timestamp",
                table: "RequestLog",
                columns: new[] { "Tier", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_HourRollups_Start",
                table: "HourRollups",
                column: "Start");

            migrationBuilder.CreateIndex(
                name: "IX_MinuteRollups_Start",
                table: "MinuteRollups",
                column: "Start");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "HourRollups");

            migrationBuilder.DropTable(
                name: "MinuteRollups");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ApiKeyId_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_CostNanoUsd",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_LatencyMs",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Model_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Rule_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Status_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Tier_Timestamp",
                table: "RequestLog");
        }
    }
}
