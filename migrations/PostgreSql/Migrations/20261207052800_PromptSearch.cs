using CostConsole.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.PostgreSql.Migrations
{
    /// <summary>
    /// Content search: a generated tsvector of the ledger's stored prompt (the 'simple' configuration: no stemming, any
    /// language) with a GIN index. Hand-written: the model is shared with SQLite, which has no such column; the ledger
    /// never writes it and EF never reads it.
    /// </summary>
    [DbContext(typeof(CostConsoleDbContext))]
    [Migration("20261207052800_PromptSearch")]
    public partial class PromptSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""ALTER TABLE "RequestLog" ADD COLUMN "PromptSearch" tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce("Prompt", ''))) STORED;""");
            migrationBuilder.Sql("""CREATE INDEX "IX_RequestLog_PromptSearch" ON "RequestLog" USING GIN ("PromptSearch");""");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""DROP INDEX IF EXISTS "IX_RequestLog_PromptSearch";""");
            migrationBuilder.Sql("""ALTER TABLE "RequestLog" DROP COLUMN IF EXISTS "PromptSearch";""");
        }
    }
}
