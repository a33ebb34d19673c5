using System.Text.RegularExpressions;
using CostConsole.Data;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace CostConsole.Web.Requests;

/// <summary>
/// Content search over stored prompts and answers: SQLite's FTS5 index (<c>RequestLogSearch</c>, a prompt and an answer
/// column kept by triggers) or PostgreSQL's full-text index (<c>ContentSearch</c>, a generated tsvector of both with a GIN
/// index). A request matches when its stored prompt and answer hold every word asked for between them. The words are
/// taken out of the text before they reach either engine, so quotes, operators and SQL in a query are only characters to
/// look for, never syntax. Prompts and answers not stored cannot be found.
/// </summary>
internal sealed partial class RequestExplorer
{
    /// <summary>Words past this many are ignored; a prompt search is a few words.</summary>
    public const int MaxSearchWords = 16;

    /// <summary>
    /// Relevance orders the newest this-many matches (those the other filters keep), then the next as many, and so on:
    /// a page scores a block of matches, not every match of a common word.
    /// </summary>
    public const int RelevanceBlock = 1_000;

    /// <summary>
    /// PostgreSQL's memory for the bitmap of a count's matches, for that query alone: the matches of a word in a tenth
    /// of two million requests stay exact (the default 4 MB goes lossy from about 60,000 pages of the ledger).
    /// </summary>
    private const string CountWorkMemory = "SET LOCAL work_mem = '32MB'";

    /// <summary>The shortest first window PostgreSQL reads the newest matches from, however close together the counted ones are.</summary>
    private static readonly TimeSpan MinimumWindow = TimeSpan.FromMinutes(5);

    /// <summary>The words of a search text: runs of letters and digits, at most <see cref="MaxSearchWords"/>.</summary>
    public static IReadOnlyList<string> SearchWords(string? text) =>
        text is null ? [] : [.. Words().Matches(text).Select(m => m.Value).Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxSearchWords)];

    /// <summary>Why the text cannot be searched for, or null.</summary>
    public static string? CheckText(string? text) =>
        !string.IsNullOrWhiteSpace(text) && SearchWords(text).Count == 0
            ? $"'{text.Trim()}' has no word to look for: give letters or digits."
            : null;

    /// <summary>The rows whose stored prompt and answer hold every searched word; all rows when no text is searched.</summary>
    private static IQueryable<RequestLogRow> Searched(CostConsoleDbContext db, IQueryable<RequestLogRow> rows, RequestQuery query) =>
        Matches(db, query) is { } matches ? rows.Where(r => matches.Select(m => m.Id).Contains(r.Id)) : rows;

    /// <summary>
    /// The matching rows in the query's order, as the export streams them. By relevance, FTS5's <c>rank</c> (bm25) on
    /// SQLite or <c>ts_rank</c> on PostgreSQL orders every match, best first, the newest first among equals; without
    /// searched words relevance is time.
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
    /// A page of a content search. The matches the filters keep are counted up to <see cref="CountLimit"/> ("more than"
    /// past it) in whatever order the index reads fastest, and past it the relevance blocks up to the page are read newest
    /// first; by relevance the page is ordered within those blocks; in another order, among the matches when they are all
    /// there is, else by walking the grid's order and checking each row against the index (a common word fills a page
    /// soon).
    /// </summary>
    private static async Task<RequestPage> SearchPageAsync(CostConsoleDbContext db, RequestQuery query, IReadOnlyList<string> words, CancellationToken cancellationToken)
    {
        var wanted = (query.Page + 1) * query.PageSize;
        var relevance = query.Sort == RequestSort.Relevance;
        var blocks = relevance ? (wanted + RelevanceBlock - 1) / RelevanceBlock * RelevanceBlock : 0;
        List<long> newest;
        int counted;
        if (db.Database.IsSqlite())
        {
            // Counted in the index's own order, which FTS5 reads fastest; newest first only for the relevance blocks.
            var matches = await SqliteMatchesAsync(db, query, words, CountLimit + 1, newestFirst: false, cancellationToken);
            counted = matches.Count;
            newest = counted <= CountLimit ? [.. matches.OrderDescending()]
                : relevance ? await NewestMatchesAsync(db, query, words, blocks, null, cancellationToken)
                : [];
        }
        else
        {
            var matches = await CountedMatchesAsync(db, query, words, cancellationToken);
            counted = matches.Count;
            if (counted <= CountLimit)
            {
                // Every match is there: newest first, as the index would have given them.
                newest = [.. matches.Select(m => m.Id).OrderDescending()];
            }
            else if (relevance)
            {
                // How far apart in time the counted matches lie says how far back the blocks reach: one window, most often,
                // instead of a day and then four times as far back each time.
                var spread = matches.Max(m => m.At) - matches.Min(m => m.At);
                var window = TimeSpan.FromMilliseconds(2.0 * blocks * Math.Max(spread, 1) / counted);
                newest = await NewestMatchesAsync(db, query, words, blocks, window > MinimumWindow ? window : MinimumWindow, cancellationToken);
            }
            else
            {
                newest = [];
            }
        }

        List<long>? order = null;
        IQueryable<RequestLogRow> paged;
        if (relevance)
        {
            order = [.. (await RankAsync(db, words, [.. newest.Take(blocks)], query.Descending, cancellationToken)).Skip(query.Page * query.PageSize).Take(query.PageSize)];
            paged = db.RequestLog.AsNoTracking().Where(r => order.Contains(r.Id));
        }
        else if (counted <= CountLimit)
        {
            // One parameter for the list: thousands of ids each bound by name cost SQLite more than the page itself.
            paged = ByColumn(db.RequestLog.AsNoTracking().Where(r => EF.Parameter(newest).Contains(r.Id)), query).Skip(query.Page * query.PageSize).Take(query.PageSize);
        }
        else
        {
            var rows = db.Database.IsSqlite()
                ? Filter(db, Source(db, query, ordered: true, searched: true).AsNoTracking(), query).Where(r => MatchIds(db, words).Contains(r.Id))
                : Filter(db, Matching(db, words).AsNoTracking(), query);
            paged = ByColumn(rows, query).Skip(query.Page * query.PageSize).Take(query.PageSize);
        }

        var page = await Summaries(paged).ToListAsync(cancellationToken);
        if (order is not null)
        {
            page = [.. page.OrderBy(r => order.IndexOf(r.Id))];
        }

        return new RequestPage([.. page.Select(r => r with { PromptPreview = Preview(r.PromptPreview) })], Math.Min(counted, CountLimit), counted > CountLimit);
    }

    /// <summary>
    /// The ids of up to <paramref name="limit"/> rows the other filters keep whose stored prompt and answer hold every
    /// word, newest first. SQLite reads the index newest first and stops there; PostgreSQL reads the range a window of
    /// time at a time, newest first (<paramref name="window"/>, by default a day, then four times as far back each
    /// time), and stops there.
    /// </summary>
    private static async Task<List<long>> NewestMatchesAsync(CostConsoleDbContext db, RequestQuery query, IReadOnlyList<string> words, int limit, TimeSpan? window, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite())
        {
            // The newest window of the range first, then further back: a common word's matches are found in the newest
            // rows without reading every match's row to keep the newest few.
            var found = new List<long>();
            var upper = query.To;
            for (var span = window ?? TimeSpan.FromDays(1); found.Count < limit && upper > query.From; span *= 4)
            {
                var lower = upper - query.From > span ? upper - span : query.From;
                found.AddRange(await Filter(db, Matching(db, words).AsNoTracking(), query with { From = lower, To = upper })
                    .OrderByDescending(r => r.Id)
                    .Select(r => r.Id)
                    .Take(limit - found.Count)
                    .ToListAsync(cancellationToken));
                upper = lower;
            }

            return found;
        }

        return await SqliteMatchesAsync(db, query, words, limit, newestFirst: true, cancellationToken);
    }

    /// <summary>
    /// On SQLite, the ids of up to <paramref name="limit"/> rows the other filters keep whose stored prompt and answer
    /// hold every word: newest first, or in the index's own order (oldest first), which it reads fastest.
    /// </summary>
    private static async Task<List<long>> SqliteMatchesAsync(CostConsoleDbContext db, RequestQuery query, IReadOnlyList<string> words, int limit, bool newestFirst, CancellationToken cancellationToken)
    {
        // CROSS JOIN keeps SQLite to the index's order; the rows are read as they come and no more than needed. The LIMIT
        // (-1: none) keeps the newest-first order: SQLite drops ORDER BY from a joined subquery without one.
        var matches = db.RequestLog.FromSqlRaw(
            newestFirst
                ? "SELECT r.* FROM (SELECT rowid AS Id FROM RequestLogSearch WHERE RequestLogSearch MATCH {0} ORDER BY rowid DESC LIMIT -1) AS m CROSS JOIN RequestLog AS r ON r.Id = m.Id"
                : "SELECT r.* FROM (SELECT rowid AS Id FROM RequestLogSearch WHERE RequestLogSearch MATCH {0}) AS m CROSS JOIN RequestLog AS r ON r.Id = m.Id",
            FtsMatch(words));
        var ids = new List<long>();
        await foreach (var id in Filter(db, matches.AsNoTracking(), query).Select(r => r.Id).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            ids.Add(id);
            if (ids.Count == limit)
            {
                break;
            }
        }

        ids.Sort((a, b) => b.CompareTo(a));
        return ids;
    }

    /// <summary>
    /// On PostgreSQL, the ids and times of up to <see cref="CountLimit"/> + 1 matches the other filters keep, in no order:
    /// all of them when there are no more than that. The search index lists the matches in the ledger's physical order and the
    /// rows are checked as they come, so a common word's count stops at the limit instead of reading and sorting every
    /// match of each window of time. The matches' bitmap gets the memory to stay exact: a lossy one checks every row of
    /// its pages again.
    /// </summary>
    private static async Task<List<(long Id, long At)>> CountedMatchesAsync(CostConsoleDbContext db, RequestQuery query, IReadOnlyList<string> words, CancellationToken cancellationToken)
    {
        // Composed without Take, which EF would warn about without an order; the limit is put around the query's SQL.
        await using var command = Filter(db, Matching(db, words).AsNoTracking(), query).Select(r => new { r.Id, r.Timestamp }).CreateDbCommand();
        command.CommandText = $"SELECT * FROM ({command.CommandText}) AS m LIMIT {CountLimit + 1}";
        await db.Database.OpenConnectionAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync(CountWorkMemory, cancellationToken);
        command.Transaction = transaction.GetDbTransaction();
        var ids = new List<(long, long)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                // The ledger keeps times as Unix milliseconds.
                ids.Add((reader.GetInt64(0), reader.GetInt64(1)));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return ids;
    }

    /// <summary>
    /// <paramref name="newest"/> (newest first) in relevance order: each <see cref="RelevanceBlock"/> of them best first
    /// (FTS5's bm25 or PostgreSQL's ts_rank), the newest first among equals; ascending, each block worst first, the oldest
    /// first among equals. Only these matches are scored.
    /// </summary>
    private static async Task<IEnumerable<long>> RankAsync(CostConsoleDbContext db, IReadOnlyList<string> words, List<long> newest, bool descending, CancellationToken cancellationToken)
    {
        if (newest.Count == 0)
        {
            return [];
        }

        // SQLite scores the matches in the blocks' id range (looking ids up one by one would search the index each time).
        var scored = db.Database.IsSqlite()
            ? db.Database.SqlQuery<SearchMatch>(
                $"SELECT rowid AS \"Id\", rank AS \"Score\" FROM RequestLogSearch WHERE RequestLogSearch MATCH {FtsMatch(words)} AND rowid BETWEEN {newest[^1]} AND {newest[0]}")
            : db.Database.SqlQuery<SearchMatch>(
                $"SELECT \"Id\", -ts_rank(\"ContentSearch\", plainto_tsquery('simple', {string.Join(" ", words)}))::float8 AS \"Score\" FROM \"RequestLog\" WHERE \"Id\" = ANY({newest.ToArray()})");
        var scores = await scored.ToDictionaryAsync(m => m.Id, m => m.Score, cancellationToken);
        double Score(long id) => scores.GetValueOrDefault(id);
        return newest.Chunk(RelevanceBlock).SelectMany(block => descending
            ? block.OrderBy(Score).ThenByDescending(id => id)
            : block.OrderByDescending(Score).ThenBy(id => id));
    }

    /// <summary>On SQLite, the ids of the rows whose stored prompt and answer hold every word, unscored.</summary>
    private static IQueryable<long> MatchIds(CostConsoleDbContext db, IReadOnlyList<string> words) =>
        db.Database.SqlQuery<long>($"SELECT rowid AS \"Value\" FROM RequestLogSearch WHERE RequestLogSearch MATCH {FtsMatch(words)}");

    /// <summary>
    /// On PostgreSQL, the rows whose stored prompt and answer hold every word: a condition on the row, so the planner may
    /// walk the time index and test each row rather than read every match of a common word.
    /// </summary>
    private static IQueryable<RequestLogRow> Matching(CostConsoleDbContext db, IReadOnlyList<string> words) =>
        db.RequestLog.FromSql($"SELECT * FROM \"RequestLog\" WHERE \"ContentSearch\" @@ plainto_tsquery('simple', {string.Join(" ", words)})");

    // Each word quoted (a quote inside doubled): FTS5 reads them as plain terms, all of which must be present.
    private static string FtsMatch(IReadOnlyList<string> words) =>
        string.Join(" ", words.Select(w => "\"" + w.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));

    /// <summary>The ids of the rows whose stored prompt and answer hold every searched word, with a score that is lower the better they match; null when no text is searched.</summary>
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
            $"SELECT \"Id\", -ts_rank(\"ContentSearch\", plainto_tsquery('simple', {plain}))::float8 AS \"Score\" FROM \"RequestLog\" WHERE \"ContentSearch\" @@ plainto_tsquery('simple', {plain})");
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

    /// <summary>A search hit: the ledger row's id and how well its prompt and answer matched (lower is better).</summary>
    private sealed class SearchMatch
    {
        public long Id { get; init; }

        public double Score { get; init; }
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();
}
