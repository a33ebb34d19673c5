using System.Text.Json;
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

    /// <summary>The rows whose stored prompt holds every searched word; all rows when no text is searched.</summary>
    private static IQueryable<RequestLogRow> Searched(CostConsoleDbContext db, IQueryable<RequestLogRow> rows, RequestQuery query) =>
        Matches(db, query) is { } matches ? rows.Where(r => matches.Select(m => m.Id).Contains(r.Id)) : rows;

    /// <summary>
    /// The matching rows in the query's order. By relevance, FTS5's <c>rank</c> (bm25) on SQLite or <c>ts_rank</c> on
    /// PostgreSQL orders them, best first, the newest first among equals; without searched words relevance is time.
    /// </summary>
    private static IQueryable<RequestLogRow> Ordered(CostConsoleDbContext db, IQueryable<RequestLogRow> rows, RequestQuery query)
    {
        if (Matches(db, query) is not { } matches)
        {
            return ByColumn(rows, query);
        }

        if (query.Sort != RequestSort.Relevance)
        {
            return ByColumn(rows.Where(r => matches.Select(m => m.Id).Contains(r.Id)), query);
        }

        var scored = rows.Join(matches, r => r.Id, m => m.Id, (r, m) => new { Row = r, m.Score });
        var ordered = query.Descending
            ? scored.OrderBy(s => s.Score).ThenByDescending(s => s.Row.Id)
            : scored.OrderByDescending(s => s.Score).ThenBy(s => s.Row.Id);
        return ordered.Select(s => s.Row);
    }

    /// <summary>
    /// On SQLite, the ids of a page ordered by relevance, found in the prompt index before the ledger is read: the index
    /// gives its best matches in order (a few times the page's worth), the ledger drops those the other filters or the time
    /// range exclude, and more are asked for only when too few are left — so common words cost a page of lookups, not
    /// one per match. Null where this does not apply: PostgreSQL, another order, no words.
    /// </summary>
    private static async Task<List<long>?> RankedPageAsync(CostConsoleDbContext db, RequestQuery query, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite() || query.Sort != RequestSort.Relevance || SearchWords(query.Text) is not { Count: > 0 } words)
        {
            return null;
        }

        var match = FtsMatch(words);
        var wanted = (query.Page + 1) * query.PageSize;
        // The explorer's relevance order: bm25 best first (lowest), the newest first among equals; ascending reverses both.
        var order = query.Descending ? "rank, rowid DESC" : "rank DESC, rowid";
        for (var take = Math.Max(1_000, wanted * 4); ; take *= 8)
        {
#pragma warning disable EF1002 // The order is one of the two constants above; the words and the count are parameters.
            var candidates = await db.Database
                .SqlQueryRaw<long>($"SELECT rowid AS \"Value\" FROM RequestLogSearch WHERE RequestLogSearch MATCH {{0}} ORDER BY {order} LIMIT {{1}}", match, take)
                .ToListAsync(cancellationToken);
#pragma warning restore EF1002
            var ids = JsonSerializer.Serialize(candidates);
            // CROSS JOIN keeps SQLite to the candidates' order of lookups instead of walking the time index.
            var kept = (await Filter(db, db.RequestLog.FromSqlRaw("SELECT r.* FROM json_each({0}) AS j CROSS JOIN RequestLog AS r ON r.Id = j.value", ids).AsNoTracking(), query)
                .Select(r => r.Id)
                .ToListAsync(cancellationToken)).ToHashSet();
            var inOrder = candidates.Where(kept.Contains).ToList();
            if (inOrder.Count >= wanted || candidates.Count < take)
            {
                return [.. inOrder.Skip(query.Page * query.PageSize).Take(query.PageSize)];
            }
        }
    }

    /// <summary>
    /// On SQLite, the rows whose stored prompt holds every searched word, read from the prompt index newest first, so a
    /// capped count stops after as many matches as it counts; null where this does not apply.
    /// </summary>
    private static IQueryable<RequestLogRow>? SearchedNewestFirst(CostConsoleDbContext db, RequestQuery query) =>
        db.Database.IsSqlite() && SearchWords(query.Text) is { Count: > 0 } words
            ? db.RequestLog.FromSqlRaw(
                "SELECT r.* FROM (SELECT rowid AS Id FROM RequestLogSearch WHERE RequestLogSearch MATCH {0} ORDER BY rowid DESC) AS m CROSS JOIN RequestLog AS r ON r.Id = m.Id",
                FtsMatch(words))
            : null;

    // Each word quoted (a quote inside doubled): FTS5 reads them as plain terms, all of which must be present.
    private static string FtsMatch(IReadOnlyList<string> words) =>
        string.Join(" ", words.Select(w => "\"" + w.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));

    /// <summary>The ids of the rows whose stored prompt holds every searched word, with a score that is lower the better they match; null when no text is searched.</summary>
    private static IQueryable<SearchMatch>? Matches(CostConsoleDbContext db, RequestQuery query)
    {
        if (string.IsNullOrWhiteSpace(query.Text))
        {
            return null;
        }

        var words = SearchWords(query.Text);
        if (words.Count == 0)
        {
            // A text without words finds nothing (the page says why); no engine is asked.
            return db.Database.SqlQuery<SearchMatch>($"SELECT CAST(0 AS bigint) AS \"Id\", CAST(0 AS double precision) AS \"Score\" WHERE 1 = 0");
        }

        if (db.Database.IsSqlite())
        {
            var match = FtsMatch(words);
            return db.Database.SqlQuery<SearchMatch>($"SELECT rowid AS \"Id\", rank AS \"Score\" FROM RequestLogSearch WHERE RequestLogSearch MATCH {match}");
        }

        // ts_rank is higher the better; negated, so both engines order the same way.
        var plain = string.Join(" ", words);
        return db.Database.SqlQuery<SearchMatch>(
            $"SELECT \"Id\", -ts_rank(\"PromptSearch\", plainto_tsquery('simple', {plain}))::float8 AS \"Score\" FROM \"RequestLog\" WHERE \"PromptSearch\" @@ plainto_tsquery('simple', {plain})");
    }

    private static IQueryable<RequestLogRow> ByColumn(IQueryable<RequestLogRow> rows, RequestQuery query) => (query.Sort, query.Descending) switch
    {
        (RequestSort.Cost, true) => rows.OrderByDescending(r => r.CostNanoUsd).ThenByDescending(r => r.Id),
        (RequestSort.Cost, false) => rows.OrderBy(r => r.CostNanoUsd).ThenBy(r => r.Id),
        (RequestSort.Baseline, true) => rows.OrderByDescending(r => r.BaselineCostNanoUsd).ThenByDescending(r => r.Id),
        (RequestSort.Baseline, false) => rows.OrderBy(r => r.BaselineCostNanoUsd).ThenBy(r => r.Id),
        (RequestSort.Latency, true) => rows.OrderByDescending(r => r.LatencyMs).ThenByDescending(r => r.Id),
        (RequestSort.Latency, false) => rows.OrderBy(r => r.LatencyMs).ThenBy(r => r.Id),
        (RequestSort.Tokens, true) => rows.OrderByDescending(r => r.PromptTokens + r.CompletionTokens).ThenByDescending(r => r.Id),
        (RequestSort.Tokens, false) => rows.OrderBy(r => r.PromptTokens + r.CompletionTokens).ThenBy(r => r.Id),
        (_, true) => rows.OrderByDescending(r => r.Timestamp).ThenByDescending(r => r.Id),
        _ => rows.OrderBy(r => r.Timestamp).ThenBy(r => r.Id),
    };

    /// <summary>A search hit: the ledger row's id and how well its prompt matched (lower is better).</summary>
    private sealed class SearchMatch
    {
        public long Id { get; init; }

        public double Score { get; init; }
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();
}
