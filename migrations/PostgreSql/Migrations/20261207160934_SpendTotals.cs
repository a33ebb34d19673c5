using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <summary>
    /// Running spend per end user and per conversation, filled from the ledger, so the Spend page ranks them over a month
    /// without grouping it; and an index for the request explorer's sort by baseline cost.
    /// </summary>
    public partial class SpendTotals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "ConversationSpend",
                columns: table => new
                {
                    Name = table.Column<string>(type: "text", nullable: false),
                    Requests = table.Column<long>(type: "bigint", nullable: false),
                    CostNanoUsd = table.Column<long>(type: "bigint", nullable: false),
                    BaselineCostNanoUsd = table.Column<long>(type: "bigint", nullable: false),
                    First = table.Column<long>(type: "bigint", nullable: false),
                    Last = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ConversationSpend", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "EndUserSpend",
                columns: table => new
                {
                    Name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: false),
                    Requests = table.Column<long>(type: "bigint", nullable: false),
                    CostNanoUsd = table.Column<long>(type: "bigint", nullable: false),
                    BaselineCostNanoUsd = table.Column<long>(type: "bigint", nullable: false),
                    First = table.Column<long>(type: "bigint", nullable: false),
                    Last = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_EndUserSpend", x => x.Name);
                });

            migrationBuilder.CreateTable(
                name: "SpendTotalsMark",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    LedgerId = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_SpendTotalsMark", x => x.Id);
                });

            // Existing ledgers start with their totals counted; the fold mark is the last row counted (none for an empty ledger).
            foreach (var (table, column) in new[] { ("EndUserSpend", "EndUser"), ("ConversationSpend", "ConversationId") })
            {
                migrationBuilder.Sql($"""
                    INSERT INTO "{table}" ("Name", "Requests", "CostNanoUsd", "BaselineCostNanoUsd", "First", "Last")
                    SELECT "{column}", COUNT(*), SUM("CostNanoUsd"), SUM("BaselineCostNanoUsd"), MIN("Timestamp"), MAX("Timestamp")
                    FROM "RequestLog" WHERE "{column}" IS NOT NULL
                    GROUP BY "{column}";
                    """);
            }

            migrationBuilder.Sql("""INSERT INTO "SpendTotalsMark" ("Id", "LedgerId") SELECT 1, "Id" FROM "RequestLog" ORDER BY "Id" DESC LIMIT 1;""");

            migrationBuilder.CreateIndex(
                name: "IX_RequestLog_BaselineCostNanoUsd",
                table: "RequestLog",
                column: "BaselineCostNanoUsd");

            migrationBuilder.CreateIndex(
                name: "IX_ConversationSpend_Walk",
                table: "ConversationSpend",
                columns: new[] { "CostNanoUsd", "Name", "First", "Last" });

            migrationBuilder.CreateIndex(
                name: "IX_EndUserSpend_Walk",
                table: "EndUserSpend",
                columns: new[] { "CostNanoUsd", "Name", "First", "Last" });

            // Filled in one statement, the totals have no statistics until the next automatic analyze.
            migrationBuilder.Sql("""ANALYZE "EndUserSpend", "ConversationSpend";""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ConversationSpend");

            migrationBuilder.DropTable(
                name: "EndUserSpend");

            migrationBuilder.DropTable(
                name: "SpendTotalsMark");

            migrationBuilder.DropIndex(
                name: "IX_RequestLog_BaselineCostNanoUsd",
                table: "RequestLog");
        }
    }
}
