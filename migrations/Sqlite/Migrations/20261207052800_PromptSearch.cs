using CostConsole.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
{
    /// <summary>
    /// Content search: an FTS5 index over the ledger's stored prompts (external content, so the text is not stored twice),
    /// kept by triggers as rows are written, prompts deleted by retention or erasure, or rows removed. Hand-written: EF has
    /// no model for virtual tables or triggers.
    /// </summary>
    [DbContext(typeof(CostConsoleDbContext))]
    [Migration("20261207052800_PromptSearch")]
    public partial class PromptSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("CREATE VIRTUAL TABLE RequestLogSearch USING fts5(Prompt, content='RequestLog', content_rowid='Id', tokenize='unicode61 remove_diacritics 2');");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_Insert AFTER INSERT ON RequestLog WHEN new.Prompt IS NOT NULL BEGIN INSERT INTO RequestLogSearch(rowid, Prompt) VALUES (new.Id, new.Prompt); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_Delete AFTER DELETE ON RequestLog WHEN old.Prompt IS NOT NULL BEGIN INSERT INTO RequestLogSearch(RequestLogSearch, rowid, Prompt) VALUES ('delete', old.Id, old.Prompt); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_UpdateOld AFTER UPDATE OF Prompt ON RequestLog WHEN old.Prompt IS NOT NULL BEGIN INSERT INTO RequestLogSearch(RequestLogSearch, rowid, Prompt) VALUES ('delete', old.Id, old.Prompt); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_UpdateNew AFTER UPDATE OF Prompt ON RequestLog WHEN new.Prompt IS NOT NULL BEGIN INSERT INTO RequestLogSearch(rowid, Prompt) VALUES (new.Id, new.Prompt); END;");
            migrationBuilder.Sql("INSERT INTO RequestLogSearch(RequestLogSearch) VALUES ('rebuild');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS RequestLogSearch_UpdateNew;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS RequestLogSearch_UpdateOld;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS RequestLogSearch_Delete;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS RequestLogSearch_Insert;");
            migrationBuilder.Sql("DROP TABLE IF EXISTS RequestLogSearch;");
        }
    }
}
