using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class EscalationAndExperiments : Migration
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

            migrationBuilder.CreateTable(
                name: "Experiments",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Description = table.Column<string>(type: "TEXT", nullable: true),
                    State = table.Column<int>(type: "INTEGER", nullable: false),
                    Unit = table.Column<int>(type: "INTEGER", nullable: false),
                    Salt = table.Column<string>(type: "TEXT", nullable: false),
                    ScopeJson = table.Column<string>(type: "TEXT", nullable: false),
                    ArmsJson = table.Column<string>(type: "TEXT", nullable: false),
                    BaselineResolution = table.Column<double>(type: "REAL", nullable: false),
                    MinimumEffectPoints = table.Column<double>(type: "REAL", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    StartedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    StoppedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    PromotedArm = table.Column<string>(type: "TEXT", nullable: true),
                    ConcurrencyStamp = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Experiments", x => x.Id);
                });

            migrationBuilder.CreateTable(
                name: "Feedback",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RequestId = table.Column<string>(type: "TEXT", nullable: false),
                    ConversationId = table.Column<string>(type: "TEXT", nullable: true),
                    Resolved = table.Column<bool>(type: "INTEGER", nullable: true),
                    Csat = table.Column<int>(type: "INTEGER", nullable: true),
                    Comment = table.Column<string>(type: "TEXT", nullable: true),
                    Source = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    UpdatedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Feedback", x => x.Id);
                });

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

            migrationBuilder.CreateIndex(
                name: "IX_Experiments_State",
                table: "Experiments",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_Feedback_RequestId",
                table: "Feedback",
                column: "RequestId",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "Experiments");

            migrationBuilder.DropTable(
                name: "Feedback");

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
