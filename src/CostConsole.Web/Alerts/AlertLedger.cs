using CostConsole.Data;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Alerts;

/// <summary>
/// The alert metrics the minute rollups cannot give exactly, read from the ledger rows of the window. The rollups keep
/// latency as a log-scale histogram (percentiles within ±10 %), and they do not count response-cache lookups at all;
/// the ledger's index on the timestamp (and on key, model and rule with it) keeps a window of an hour or a day cheap.
/// </summary>
internal static class AlertLedger
{
    /// <summary>The 95th percentile of latency by nearest rank (the smallest latency at least 95 % of requests do not exceed); null without requests.</summary>
    public static async Task<double?> LatencyP95Async(CostConsoleDbContext db, DateTimeOffset from, DateTimeOffset to, MetricsFilter filter, CancellationToken cancellationToken)
    {
        var rows = LedgerRows.InRange(db, from, to, filter);
        var count = await rows.CountAsync(cancellationToken);
        if (count == 0)
        {
            return null;
        }

        var rank = (int)Math.Ceiling(0.95 * count);
        return await rows.OrderBy(r => r.LatencyMs).Skip(rank - 1).Select(r => r.LatencyMs).FirstAsync(cancellationToken);
    }

    /// <summary>Exact and semantic hits as a share of the lookups that hit or missed (bypassed requests are not lookups); null without lookups.</summary>
    public static async Task<double?> CacheHitRateAsync(CostConsoleDbContext db, DateTimeOffset from, DateTimeOffset to, MetricsFilter filter, CancellationToken cancellationToken)
    {
        var levels = await LedgerRows.InRange(db, from, to, filter)
            .Where(r => r.CacheLevel == "exact" || r.CacheLevel == "semantic" || r.CacheLevel == "miss")
            .GroupBy(r => r.CacheLevel == "miss")
            .Select(g => new { Miss = g.Key, Count = g.LongCount() })
            .ToListAsync(cancellationToken);
        var lookups = levels.Sum(l => l.Count);
        return lookups > 0 ? (double)levels.Where(l => !l.Miss).Sum(l => l.Count) / lookups : null;
    }
}
