using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class RoutingResilienceAndEscalation : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Arm",
                table: "RequestLog",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "ConversationId",
                table: "RequestLog",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "EscalationCostNanoUsd",
                table: "RequestLog",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<int>(
                name: "Escalations",
                table: "RequestLog",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "ExperimentId",
                table: "RequestLog",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Review",
                table: "RequestLog",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<double>(
                name: "CircuitBreakSeconds",
                table: "Providers",
                type: "REAL",
                nullable: false,
                defaultValue: 0.0);

            migrationBuilder.AddColumn<int>(
                name: "MaxRetries",
                table: "Providers",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<long>(
                name: "EscalatedRequests",
                table: "MinuteRollups",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "EscalationCostNanoUsd",
                table: "MinuteRollups",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "EscalatedRequests",
                table: "HourRollups",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.AddColumn<long>(
                name: "EscalationCostNanoUsd",
                table: "HourRollups",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ConversationId_Timestamp",
                table: "RequestLog",
                columns: new[] { "ConversationId", "Timestamp" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_ExperimentId_Arm",
                table: "RequestLog",
                columns: new[] { "ExperimentId", "Arm" });

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_Review_Timestamp",
                table: "RequestLog",
                columns: new[] { "Review", "Timestamp" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ConversationId_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_ExperimentId_Arm",
                table: "RequestLog");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_Review_Timestamp",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "Arm",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "ConversationId",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "EscalationCostNanoUsd",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "Escalations",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "ExperimentId",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "Review",
                table: "RequestLog");

            migrationBuilder.DropColumn(
                name: "CircuitBreakSeconds",
                table: "Providers");

            migrationBuilder.DropColumn(
                name: "MaxRetries",
                table: "Providers");

            migrationBuilder.DropColumn(
                name: "EscalatedRequests",
                table: "MinuteRollups");

            migrationBuilder.DropColumn(
                name: "EscalationCostNanoUsd",
                table: "MinuteRollups");

            migrationBuilder.DropColumn(
                name: "EscalatedRequests",
                table: "HourRollups");

            migrationBuilder.DropColumn(
                name: "EscalationCostNanoUsd",
                table: "HourRollups");
        }
    }
}
