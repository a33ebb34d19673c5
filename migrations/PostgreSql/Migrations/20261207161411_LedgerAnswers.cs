using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <summary>
    /// The ledger keeps the answer under the prompt storage policy, and content search covers it: the generated tsvector
    /// becomes <c>ContentSearch</c>, the prompt's words (weight A) and the answer's (weight B), with its GIN index.
    /// Hand-written past the column: the model is shared with SQLite, which has no such column.
    /// </summary>
    public partial class LedgerAnswers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Answer",
                table: "RequestLog",
                type: "text",
                nullable: true);

            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_RequestLog_PromptSearch";""");
            migrationBuilder.Sql("""ALTER TABLE "RequestLog" DROP COLUMN IF EXISTS "PromptSearch";""");
            migrationBuilder.Sql("""
                ALTER TABLE "RequestLog" ADD COLUMN "ContentSearch" tsvector GENERATED ALWAYS AS
                    (setweight(to_tsvector('simple', coalesce("Prompt", '')), 'A') || setweight(to_tsvector('simple', coalesce("Answer", '')), 'B')) STORED;
                """);
            migrationBuilder.Sql("""CREATE INDEX "IX_RequestLog_ContentSearch" ON "RequestLog" USING GIN ("ContentSearch");""");

            // The new column has no statistics until the next automatic analyze, which a table rewrite does not prompt: the
            // planner would take every word for a rare one and read all its matches instead of joining the time index.
            migrationBuilder.Sql("""ANALYZE "RequestLog";""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_RequestLog_ContentSearch";""");
            migrationBuilder.Sql("""ALTER TABLE "RequestLog" DROP COLUMN IF EXISTS "ContentSearch";""");
            migrationBuilder.Sql("""ALTER TABLE "RequestLog" ADD COLUMN "PromptSearch" tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce("Prompt", ''))) STORED;""");
            migrationBuilder.Sql("""CREATE INDEX "IX_RequestLog_PromptSearch" ON "RequestLog" USING GIN ("PromptSearch");""");
            migrationBuilder.DropColumn(
                name: "Answer",
                table: "RequestLog");
        }
    }
}
