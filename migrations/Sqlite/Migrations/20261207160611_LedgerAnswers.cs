using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace CostConsole.Migrations.Migrations
{
    /// <summary>
    /// The ledger keeps the answer under the prompt storage policy, and content search covers it: the FTS5 index is
    /// rebuilt with an answer column beside the prompt, its triggers following both. Hand-written past the column: EF
    /// has no model for virtual tables or triggers.
    /// </summary>
    public partial class LedgerAnswers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "Answer",
                table: "RequestLog",
                type: "TEXT",
                nullable: true);

            DropSearch(migrationBuilder);
            migrationBuilder.Sql("CREATE VIRTUAL TABLE RequestLogSearch USING fts5(Prompt, Answer, content='RequestLog', content_rowid='Id', tokenize='unicode61 remove_diacritics 2');");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_Insert AFTER INSERT ON RequestLog WHEN new.Prompt IS NOT NULL OR new.Answer IS NOT NULL BEGIN INSERT INTO RequestLogSearch(rowid, Prompt, Answer) VALUES (new.Id, new.Prompt, new.Answer); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_Delete AFTER DELETE ON RequestLog WHEN old.Prompt IS NOT NULL OR old.Answer IS NOT NULL BEGIN INSERT INTO RequestLogSearch(RequestLogSearch, rowid, Prompt, Answer) VALUES ('delete', old.Id, old.Prompt, old.Answer); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_UpdateOld AFTER UPDATE OF Prompt, Answer ON RequestLog WHEN old.Prompt IS NOT NULL OR old.Answer IS NOT NULL BEGIN INSERT INTO RequestLogSearch(RequestLogSearch, rowid, Prompt, Answer) VALUES ('delete', old.Id, old.Prompt, old.Answer); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_UpdateNew AFTER UPDATE OF Prompt, Answer ON RequestLog WHEN new.Prompt IS NOT NULL OR new.Answer IS NOT NULL BEGIN INSERT INTO RequestLogSearch(rowid, Prompt, Answer) VALUES (new.Id, new.Prompt, new.Answer); END;");
            migrationBuilder.Sql("INSERT INTO RequestLogSearch(RequestLogSearch) VALUES ('rebuild');");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            DropSearch(migrationBuilder);
            migrationBuilder.Sql("CREATE VIRTUAL TABLE RequestLogSearch USING fts5(Prompt, content='RequestLog', content_rowid='Id', tokenize='unicode61 remove_diacritics 2');");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_Insert AFTER INSERT ON RequestLog WHEN new.Prompt IS NOT NULL BEGIN INSERT INTO RequestLogSearch(rowid, Prompt) VALUES (new.Id, new.Prompt); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_Delete AFTER DELETE ON RequestLog WHEN old.Prompt IS NOT NULL BEGIN INSERT INTO RequestLogSearch(RequestLogSearch, rowid, Prompt) VALUES ('delete', old.Id, old.Prompt); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_UpdateOld AFTER UPDATE OF Prompt ON RequestLog WHEN old.Prompt IS NOT NULL BEGIN INSERT INTO RequestLogSearch(RequestLogSearch, rowid, Prompt) VALUES ('delete', old.Id, old.Prompt); END;");
            migrationBuilder.Sql("CREATE TRIGGER RequestLogSearch_UpdateNew AFTER UPDATE OF Prompt ON RequestLog WHEN new.Prompt IS NOT NULL BEGIN INSERT INTO RequestLogSearch(rowid, Prompt) VALUES (new.Id, new.Prompt); END;");
            migrationBuilder.DropColumn(
                name: "Answer",
                table: "RequestLog");
            migrationBuilder.Sql("INSERT INTO RequestLogSearch(RequestLogSearch) VALUES ('rebuild');");
        }

        private static void DropSearch(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS RequestLogSearch_UpdateNew;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS RequestLogSearch_UpdateOld;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS RequestLogSearch_Delete;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS RequestLogSearch_Insert;");
            migrationBuilder.Sql("DROP TABLE IF EXISTS RequestLogSearch;");
        }
    }
}
