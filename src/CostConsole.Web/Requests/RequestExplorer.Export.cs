using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Requests;

/// <summary>The explorer's filtered requests as a CSV file, one line per ledger row, streamed in the explorer's order.</summary>
internal sealed partial class RequestExplorer
{
    public static readonly IReadOnlyList<string> ExportColumns =
    [
        "time_utc", "request_id", "status", "http_status", "key_id", "key", "team", "end_user", "conversation_id", "protocol", "tier", "model", "rule",
        "prompt_tokens", "cached_tokens", "completion_tokens", "cost_usd", "baseline_usd", "savings_usd", "latency_ms", "escalations", "fallbacks", "error_code",
    ];

    /// <summary>
    /// Writes every request the query matches (its page and page size are ignored), read row by row from the database so a
    /// month of traffic is written in bounded memory. <paramref name="team"/>, when given, keeps only that team's requests,
    /// counted as the dashboard counts them.
    /// </summary>
    /// <returns>The number of requests written.</returns>
    public async Task<long> ExportAsync(TextWriter writer, RequestQuery query, string? team, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Select(k => new { k.Id, k.Name, k.Team }).ToDictionaryAsync(k => k.Id, cancellationToken);
        var rows = Filter(db, Source(db, query, ordered: true).AsNoTracking(), query);
        if (team is not null)
        {
            rows = rows.OfTeam(db, team);
        }

        await using var csv = Csv.Open(writer);
        await Csv.WriteRowAsync(csv, ExportColumns);
        long written = 0;
        await foreach (var r in Ordered(db, rows, query).Select(r => new
        {
            r.Timestamp, r.RequestId, r.Status, r.HttpStatus, r.ApiKeyId, r.EndUser, r.ConversationId, r.Protocol, r.Tier, r.Model, r.Rule,
            r.PromptTokens, r.CachedTokens, r.CompletionTokens, r.CostNanoUsd, r.BaselineCostNanoUsd, r.LatencyMs, r.Escalations, r.Fallbacks, r.ErrorCode,
        }).AsAsyncEnumerable().WithCancellation(cancellationToken))
        {
            var key = r.ApiKeyId is { } id ? keys.GetValueOrDefault(id) : null;
            await Csv.WriteRowAsync(csv,
            [
                r.Timestamp.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture), r.RequestId,
                ((CostConsole.Routing.Pipeline.LedgerStatus)r.Status).ToString().ToLowerInvariant(), r.HttpStatus, r.ApiKeyId, key?.Name, key?.Team,
                r.EndUser, r.ConversationId, r.Protocol, r.Tier, r.Model, r.Rule, r.PromptTokens, r.CachedTokens, r.CompletionTokens,
                Money.FromNanoUsd(r.CostNanoUsd), Money.FromNanoUsd(r.BaselineCostNanoUsd), Money.FromNanoUsd(r.BaselineCostNanoUsd - r.CostNanoUsd),
                Math.Round(r.LatencyMs, 1), r.Escalations, r.Fallbacks, r.ErrorCode,
            ]);
            written++;
        }

        await csv.FlushAsync();
        return written;
    }
}
