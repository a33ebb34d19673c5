using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Requests;

public enum RequestSort
{
    Time,
    Cost,
    Latency,
    Tokens,

    /// <summary>
    /// How well the stored prompt and answer match the searched words, within each <see cref="RequestExplorer.RelevanceBlock"/>
    /// of the newest matches; with no words, newest first.
    /// </summary>
    Relevance,

    Baseline,
}

/// <summary>
/// What the request explorer asks for: a time window, filters, an order and a page; <c>Text</c>: words the stored prompt
/// and answer must hold between them; <c>Team</c>: as the dashboard counts a team (<see cref="LedgerRows.OfTeam"/>), or <see cref="MetricsFilter.NoTeam"/>;
/// <c>EndUser</c> and <c>Conversation</c>: as the ledger recorded them, matched whole.
/// </summary>
public sealed record RequestQuery(
    DateTimeOffset From,
    DateTimeOffset To,
    long? ApiKeyId = null,
    string? Tier = null,
    string? Model = null,
    string? Rule = null,
    LedgerStatus? Status = null,
    string? Search = null,
    RequestSort Sort = RequestSort.Time,
    bool Descending = true,
    int Page = 0,
    int PageSize = 25,
    string? Text = null,
    string? Team = null,
    string? EndUser = null,
    string? Conversation = null)
{
    /// <summary>The order a query gets when none is chosen: the best matches first while words are searched, else the newest.</summary>
    public static RequestSort DefaultSort(string? text) => RequestExplorer.SearchWords(text).Count > 0 ? RequestSort.Relevance : RequestSort.Time;
}

/// <summary>One line of the explorer.</summary>
public sealed record RequestSummary(
    long Id, string RequestId, DateTimeOffset Timestamp, long? ApiKeyId, string? Tier, string? Model, string? Rule, int Status, int HttpStatus,
    long PromptTokens, long CompletionTokens, long CostNanoUsd, long BaselineCostNanoUsd, double LatencyMs, int Fallbacks, string? ErrorCode)
{
    /// <summary>The team the request was recorded under.</summary>
    public string? Team { get; init; }

    /// <summary>The first <see cref="RequestExplorer.PreviewLength"/> characters of the stored prompt on one line; null when no prompt was stored.</summary>
    public string? PromptPreview { get; init; }

    public decimal Cost => Money.FromNanoUsd(CostNanoUsd);

    public decimal Baseline => Money.FromNanoUsd(BaselineCostNanoUsd);

    public LedgerStatus LedgerStatus => (LedgerStatus)Status;
}

/// <summary>A page of requests. Counting stops at <see cref="RequestExplorer.CountLimit"/>; past it the total reads "more than".</summary>
public sealed record RequestPage(IReadOnlyList<RequestSummary> Rows, int Total, bool MoreThanTotal);

/// <summary>Everything the ledger knows about one request.</summary>
public sealed record RequestDetail(RequestLogRow Row, string? KeyName, IReadOnlyList<AttemptRecord> Attempts)
{
    public decimal Cost => Money.FromNanoUsd(Row.CostNanoUsd);

    public decimal Baseline => Money.FromNanoUsd(Row.BaselineCostNanoUsd);
}

/// <summary>Server-side paging over the ledger, newest first by default, on the ledger's indexes.</summary>
internal sealed partial class RequestExplorer(IDbContextFactory<CostConsoleDbContext> factory)
{
    /// <summary>Counting every match of a month of traffic would cost more than the page itself; past this the pager says "more than".</summary>
    public const int CountLimit = 10_000;

    /// <summary>How much of a stored prompt the explorer's list shows.</summary>
    public const int PreviewLength = 80;

    private const int WholeIdLength = 36;

    private static readonly JsonSerializerOptions AttemptJson = new(JsonSerializerDefaults.Web);

    public async Task<RequestPage> PageAsync(RequestQuery query, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (SearchWords(query.Text) is { Count: > 0 } words)
        {
            return await SearchPageAsync(db, query, words, cancellationToken);
        }

        var counted = await Searched(db, Filter(db, Source(db, query, ordered: false).AsNoTracking(), query), query)
            .OrderByDescending(r => r.Timestamp)
            .Take(CountLimit + 1)
            .CountAsync(cancellationToken);
        var rows = Filter(db, Source(db, query, ordered: true).AsNoTracking(), query);
        var page = await Summaries(Ordered(db, rows, query).Skip(query.Page * query.PageSize).Take(query.PageSize)).ToListAsync(cancellationToken);
        return new RequestPage([.. page.Select(r => r with { PromptPreview = Preview(r.PromptPreview) })], Math.Min(counted, CountLimit), counted > CountLimit);
    }

    /// <summary>The explorer's line for each row, with the beginning of its prompt (cut to a preview by <see cref="Preview"/>).</summary>
    private static IQueryable<RequestSummary> Summaries(IQueryable<RequestLogRow> rows) => rows
        .Select(r => new RequestSummary(r.Id, r.RequestId, r.Timestamp, r.ApiKeyId, r.Tier, r.Model, r.Rule, r.Status, r.HttpStatus,
            r.PromptTokens, r.CompletionTokens, r.CostNanoUsd, r.BaselineCostNanoUsd, r.LatencyMs, r.Fallbacks, r.ErrorCode)
        {
            Team = r.Team,
            PromptPreview = r.Prompt == null ? null : r.Prompt.Substring(0, PreviewLength * 4),
        });

    public async Task<RequestDetail?> DetailAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.RequestLog.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (row is null)
        {
            return null;
        }

        var key = row.ApiKeyId is { } keyId ? await db.ApiKeys.AsNoTracking().Where(k => k.Id == keyId).Select(k => k.Name).FirstOrDefaultAsync(cancellationToken) : null;
        var attempts = row.AttemptsJson is { } json ? JsonSerializer.Deserialize<List<AttemptRecord>>(json, AttemptJson) ?? [] : [];
        return new RequestDetail(row, key, attempts);
    }

    public async Task<RequestDetail?> DetailAsync(string requestId, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var id = await db.RequestLog.AsNoTracking().Where(r => r.RequestId == requestId).Select(r => (long?)r.Id).FirstOrDefaultAsync(cancellationToken);
        return id is { } found ? await DetailAsync(found, cancellationToken) : null;
    }

    public async Task<IReadOnlyDictionary<long, string>> KeyNamesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.ApiKeys.AsNoTracking().ToDictionaryAsync(k => k.Id, k => k.Name, cancellationToken);
    }

    /// <summary>
    /// SQLite's planner knows nothing of how much of the ledger a time range covers, so it would walk the time index
    /// and sort a month of rows. Where another index finds the page sooner it is named: the id index for an id prefix,
    /// the cost, baseline or latency index for those orders over a day or more (walked in order until a page of matches).
    /// </summary>
    /// <param name="ordered">The page, in the query's order; otherwise the count, which walks time.</param>
    /// <param name="searched">The page of a common word's search: walked in time order, so the first matches end it.</param>
    private static IQueryable<RequestLogRow> Source(CostConsoleDbContext db, RequestQuery q, bool ordered, bool searched = false)
    {
        // PostgreSQL keeps statistics and plans these itself; INDEXED BY is SQLite's.
        var index = !db.Database.IsSqlite() ? null : q switch
        {
            { Search: { } s } when s.Trim().StartsWith("req_", StringComparison.Ordinal) && s.Trim().Length < WholeIdLength => "IX_RequestLog_RequestId",
            { Sort: RequestSort.Cost } when ordered && q.To - q.From >= TimeSpan.FromDays(1) => "IX_RequestLog_CostNanoUsd",
            { Sort: RequestSort.Latency } when ordered && q.To - q.From >= TimeSpan.FromDays(1) => "IX_RequestLog_LatencyMs",
            { Sort: RequestSort.Baseline } when ordered && q.To - q.From >= TimeSpan.FromDays(1) => "IX_RequestLog_BaselineCostNanoUsd",
            { Sort: RequestSort.Time } when ordered && searched => "IX_RequestLog_Timestamp",
            _ => null,
        };
#pragma warning disable EF1002, EF1003 // The index name is one of the constants above, never input.
        return index is null ? db.RequestLog : db.RequestLog.FromSqlRaw("SELECT * FROM RequestLog INDEXED BY " + index);
#pragma warning restore EF1002, EF1003
    }

    private static IQueryable<RequestLogRow> Filter(CostConsoleDbContext db, IQueryable<RequestLogRow> rows, RequestQuery q)
    {
        rows = rows.Where(r => r.Timestamp >= q.From && r.Timestamp < q.To);
        if (q.ApiKeyId is { } key)
        {
            rows = rows.Where(r => r.ApiKeyId == key);
        }

        if (q.Tier is { } tier)
        {
            rows = rows.Where(r => r.Tier == tier);
        }

        if (q.Model is { } model)
        {
            rows = rows.Where(r => r.Model == model);
        }

        if (q.Rule is { } rule)
        {
            rows = rows.Where(r => r.Rule == rule);
        }

        if (q.Team is { } team)
        {
            // Counted as the dashboard and Spend count a team, rows from before teams were recorded with their key's team now.
            rows = rows.OfTeam(db, team);
        }

        if (q.EndUser is { } user)
        {
            rows = rows.Where(r => r.EndUser == user);
        }

        if (q.Conversation is { } conversation)
        {
            rows = rows.Where(r => r.ConversationId == conversation);
        }

        if (q.Status is { } status)
        {
            rows = rows.Where(r => r.Status == (int)status);
        }

        if (q.Search?.Trim() is { Length: > 0 } search)
        {
            // An id or its beginning is a range of the id index; any other fragment is matched anywhere in the id (a scan).
            if (search.StartsWith("req_", StringComparison.Ordinal) && search.Length == WholeIdLength)
            {
                rows = rows.Where(r => r.RequestId == search);
            }
            else if (search.StartsWith("req_", StringComparison.Ordinal))
            {
                // Both stores order ids byte by byte (SQLite's BINARY, PostgreSQL's "C" collation on this column).
                var end = search + "~";
                rows = rows.Where(r => string.Compare(r.RequestId, search) >= 0 && string.Compare(r.RequestId, end) < 0);
            }
            else
            {
                rows = rows.Where(r => r.RequestId.Contains(search));
            }
        }

        return rows;
    }

    /// <summary>A prompt's beginning on one line, cut at most <see cref="PreviewLength"/> characters in, with an ellipsis.</summary>
    internal static string? Preview(string? prompt)
    {
        if (prompt is null)
        {
            return null;
        }

        var line = string.Join(' ', prompt.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (line.Length <= PreviewLength)
        {
            return line;
        }

        // Cut between words when a space is near the end, so the preview does not end in half a word.
        var cut = line[..PreviewLength];
        var space = cut.LastIndexOf(' ');
        return (space > PreviewLength - 20 ? cut[..space] : cut).TrimEnd() + "…";
    }
}
