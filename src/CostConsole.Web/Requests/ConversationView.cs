using CostConsole.Data;
using CostConsole.Routing.Pipeline;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Requests;

/// <summary>One turn of a conversation: a ledger row, numbered from the conversation's first request.</summary>
public sealed record ConversationTurn(
    int Number, long Id, string RequestId, DateTimeOffset Timestamp, string? Tier, string? Model, int Status, int HttpStatus,
    long PromptTokens, long CompletionTokens, long CostNanoUsd, long BaselineCostNanoUsd, int Escalations, int Fallbacks, double LatencyMs, string? ErrorCode)
{
    public decimal Cost => Money.FromNanoUsd(CostNanoUsd);

    public decimal Baseline => Money.FromNanoUsd(BaselineCostNanoUsd);

    public decimal Savings => Money.FromNanoUsd(BaselineCostNanoUsd - CostNanoUsd);

    public LedgerStatus LedgerStatus => (LedgerStatus)Status;
}

/// <summary>A conversation's totals over all its turns, and when it began and last spoke.</summary>
public sealed record ConversationTotals(
    int Turns, long PromptTokens, long CompletionTokens, long CostNanoUsd, long BaselineCostNanoUsd, int Escalations, int Fallbacks,
    DateTimeOffset First, DateTimeOffset Last, IReadOnlyList<string> Users, IReadOnlyList<long> KeyIds)
{
    public decimal Cost => Money.FromNanoUsd(CostNanoUsd);

    public decimal Baseline => Money.FromNanoUsd(BaselineCostNanoUsd);

    public decimal Savings => Money.FromNanoUsd(BaselineCostNanoUsd - CostNanoUsd);
}

/// <summary>A page of a conversation's turns in the order they were made, with the whole conversation's totals.</summary>
public sealed record ConversationPage(string ConversationId, ConversationTotals Totals, IReadOnlyList<ConversationTurn> Turns, int Page, int PageSize)
{
    public int Pages => (Totals.Turns + PageSize - 1) / PageSize;
}

/// <summary>
/// The turns of one conversation (the requests that carried its id), oldest first, paged on the ledger's
/// conversation index: where a runaway conversation is taken apart turn by turn.
/// </summary>
internal sealed class ConversationView(IDbContextFactory<CostConsoleDbContext> factory)
{
    public const int MaxPageSize = 500;

    /// <summary>The console page of a conversation.</summary>
    public static string Url(string conversationId) => "/conversations/" + Uri.EscapeDataString(conversationId);

    /// <summary>The page of turns, or null when no request of the ledger carries this id.</summary>
    public async Task<ConversationPage?> PageAsync(string conversationId, int page, int pageSize, CancellationToken cancellationToken = default)
    {
        pageSize = Math.Clamp(pageSize, 1, MaxPageSize);
        page = Math.Max(page, 0);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = db.RequestLog.AsNoTracking().Where(r => r.ConversationId == conversationId);
        var totals = await rows.GroupBy(r => r.ConversationId).Select(g => new
        {
            Turns = g.Count(),
            PromptTokens = g.Sum(r => r.PromptTokens),
            CompletionTokens = g.Sum(r => r.CompletionTokens),
            Cost = g.Sum(r => r.CostNanoUsd),
            Baseline = g.Sum(r => r.BaselineCostNanoUsd),
            Escalations = g.Sum(r => r.Escalations),
            Fallbacks = g.Sum(r => r.Fallbacks),
            First = g.Min(r => r.Timestamp),
            Last = g.Max(r => r.Timestamp),
        }).FirstOrDefaultAsync(cancellationToken);
        if (totals is null)
        {
            return null;
        }

        var users = await rows.Where(r => r.EndUser != null).Select(r => r.EndUser!).Distinct().OrderBy(u => u).Take(10).ToListAsync(cancellationToken);
        var keys = await rows.Where(r => r.ApiKeyId != null).Select(r => r.ApiKeyId!.Value).Distinct().OrderBy(k => k).Take(10).ToListAsync(cancellationToken);
        if (page * pageSize >= totals.Turns)
        {
            page = (totals.Turns - 1) / pageSize;
        }

        var first = page * pageSize;
        var turns = await rows.OrderBy(r => r.Timestamp).ThenBy(r => r.Id)
            .Skip(first)
            .Take(pageSize)
            .Select(r => new { r.Id, r.RequestId, r.Timestamp, r.Tier, r.Model, r.Status, r.HttpStatus, r.PromptTokens, r.CompletionTokens, r.CostNanoUsd, r.BaselineCostNanoUsd, r.Escalations, r.Fallbacks, r.LatencyMs, r.ErrorCode })
            .ToListAsync(cancellationToken);
        return new ConversationPage(
            conversationId,
            new ConversationTotals(totals.Turns, totals.PromptTokens, totals.CompletionTokens, totals.Cost, totals.Baseline, totals.Escalations, totals.Fallbacks, totals.First, totals.Last, users, keys),
            [.. turns.Select((t, i) => new ConversationTurn(first + i + 1, t.Id, t.RequestId, t.Timestamp, t.Tier, t.Model, t.Status, t.HttpStatus,
                t.PromptTokens, t.CompletionTokens, t.CostNanoUsd, t.BaselineCostNanoUsd, t.Escalations, t.Fallbacks, t.LatencyMs, t.ErrorCode))],
            page,
            pageSize);
    }
}
