using System.Text.RegularExpressions;
using CostConsole.Data;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Requests;

/// <summary>
/// Content search over stored prompts: SQLite's FTS5 index (<c>RequestLogSearch</c>, kept by triggers) or PostgreSQL's
/// full-text index (<c>PromptSearch</c>, a generated tsvector with a GIN index). A request matches when its stored prompt
/// holds every word asked for. The words are taken out of the text before they reach either engine, so quotes,
/// operators and SQL in a query are only characters to look for, never syntax. Prompts not stored cannot be found.
/// </summary>
internal sealed partial class RequestExplorer
{
    /// <summary>Words past this many are ignored; a prompt search is a few words.</summary>
    public const int MaxSearchWords = 16;

    /// <summary>The words of a search text: runs of letters and digits, at most <see cref="MaxSearchWords"/>.</summary>
    public static IReadOnlyList<string> SearchWords(string? text) =>
        text is null ? [] : [.. Words().Matches(text).Select(m => m.Value).Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxSearchWords)];

    /// <summary>Why the text cannot be searched for, or null.</summary>
    public static string? CheckText(string? text) =>
        !string.IsNullOrWhiteSpace(text) && SearchWords(text).Count == 0
            ? $"'{text.Trim()}' has no word to look for: give letters or digits."
            : null;

    private static IQueryable<RequestLogRow> Searched(CostConsoleDbContext db, IQueryable<RequestLogRow> rows, RequestQuery query)
    {
        if (string.IsNullOrWhiteSpace(query.Text))
        {
            return rows;
        }

        var words = SearchWords(query.Text);
        if (words.Count == 0)
        {
            return rows.Where(r => false);
        }

        IQueryable<long> matches;
        if (db.Database.IsSqlite())
        {
            // Each word quoted (a quote inside doubled): FTS5 reads them as plain terms, all of which must be present.
            var match = string.Join(" ", words.Select(w => "\"" + w.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
            matches = db.Database.SqlQuery<long>($"SELECT rowid AS \"Value\" FROM RequestLogSearch WHERE RequestLogSearch MATCH {match}");
        }
        else
        {
            var plain = string.Join(" ", words);
            matches = db.Database.SqlQuery<long>($"SELECT \"Id\" AS \"Value\" FROM \"RequestLog\" WHERE \"PromptSearch\" @@ plainto_tsquery('simple', {plain})");
        }

        return rows.Where(r => matches.Contains(r.Id));
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();
}
