using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Caching;

/// <summary>One cached answer as the console lists it.</summary>
internal sealed record CacheEntryView(string Id, string Namespace, string Prompt, string Answer, string Model, string Tier, string? Rule, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, long Hits, decimal Saved, bool Semantic);

/// <summary>Lookups and savings of one rule (or of requests no rule decided), from the ledger.</summary>
internal sealed record CacheRuleFigures(string? Rule, long Hits, long Misses, decimal Saved)
{
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}

/// <summary>The cache's figures over the ledger: hits (exact and semantic), misses, bypasses and what the hits saved.</summary>
internal sealed record CacheFigures(long ExactHits, long SemanticHits, long Misses, long Bypassed, decimal Saved, IReadOnlyList<CacheRuleFigures> Rules)
{
    /// <summary>Misses a model answered (what a hit would have saved): how many, their average latency and cost.</summary>
    public long MissesAnswered { get; init; }

    public double MissLatencyMs { get; init; }

    public decimal MissCost { get; init; }

    public long Hits => ExactHits + SemanticHits;

    /// <summary>Hits over lookups; bypassed requests were never looked up.</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}

/// <summary>The cache's lookups and savings over one range of the ledger, for the dashboard's cards.</summary>
public sealed record CacheRangeFigures(long ExactHits, long SemanticHits, long Misses, long Bypassed, decimal Saved)
{
    public static CacheRangeFigures None { get; } = new(0, 0, 0, 0, 0m);

    public long Hits => ExactHits + SemanticHits;

    public long Lookups => Hits + Misses;

    /// <summary>Hits over lookups; null when nothing was looked up.</summary>
    public double? HitRate => Lookups == 0 ? null : (double)Hits / Lookups;
}

/// <summary>The dashboard's cache cards: the range, the period before it, and whether the cache is on now.</summary>
public sealed record CacheDashboardFigures(CacheRangeFigures Range, CacheRangeFigures PreviousRange, string RangeName, bool Enabled)
{
    /// <summary>The cards are worth showing: the cache is on, or it did something in either period.</summary>
    public bool Shown => Enabled || Range.Lookups + Range.Bypassed + PreviousRange.Lookups + PreviousRange.Bypassed > 0;
}

/// <summary>What the console's Cache page does: list and search entries, purge them, turn the cache on or off, and read its figures.</summary>
internal sealed class CacheService(ResponseCache cache, CacheEntryStore store, IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time, IConfiguration configuration)
{
    public bool Enabled => cache.Settings.Enabled;

    /// <summary>What the configuration says (<c>CostConsole:Cache:Enabled</c>); the console's switch lasts until restart.</summary>
    public bool ConfiguredEnabled => configuration.GetValue<bool>(CacheExtensions.Section + ":Enabled");

    public CacheSettings Settings => cache.Settings;

    public CacheCounters Counters => cache.Counters;

    public string? Embedder => cache.EmbedderName;

    public IReadOnlyList<CacheEntryView> Entries(string? search = null)
    {
        var now = time.GetUtcNow();
        var query = cache.Entries().Where(e => !e.Expired(now));
        if (!string.IsNullOrWhiteSpace(search))
        {
            var term = search.Trim();
            query = query.Where(e => e.Prompt.Contains(term, StringComparison.OrdinalIgnoreCase)
                || e.Answer.Contains(term, StringComparison.OrdinalIgnoreCase)
                || e.Namespace.Contains(term, StringComparison.OrdinalIgnoreCase)
                || e.Id.Equals(term, StringComparison.OrdinalIgnoreCase));
        }

        return [.. query.Select(e => new CacheEntryView(e.Id, e.Namespace, e.Prompt, e.Answer, e.Model, e.Tier, e.Rule, e.CreatedAt, e.ExpiresAt, e.Hits, e.Saved, e.Vector is not null))];
    }

    public IReadOnlyList<string> Namespaces() => [.. cache.Entries().Select(e => e.Namespace).Distinct().Order(StringComparer.Ordinal)];

    public async Task SetEnabledAsync(bool enabled, string actor)
    {
        cache.SetEnabled(enabled);
        await AuditAsync(actor, enabled ? "cache.enable" : "cache.disable", "response cache", null);
    }

    public Task<int> PurgeAsync(string id, string actor) =>
        PurgeAsync(new CachePurge(CachePurgeKind.Entry, id), actor, $"cache entry {id}");

    public Task<int> PurgeNamespaceAsync(string @namespace, string actor) =>
        PurgeAsync(new CachePurge(CachePurgeKind.Namespace, @namespace), actor, $"cache namespace {@namespace}");

    public Task<int> PurgeRuleAsync(string rule, string actor) =>
        PurgeAsync(new CachePurge(CachePurgeKind.Rule, rule), actor, $"cache entries of rule {rule}");

    public Task<int> PurgeAllAsync(string actor) => PurgeAsync(CachePurge.Everything, actor, "every cache entry");

    /// <summary>Removes the entries here, then in the database (those of other instances too), which tells the other instances.</summary>
    private async Task<int> PurgeAsync(CachePurge purge, string actor, string subject)
    {
        var count = cache.Purge(purge.Selects);
        count += await store.PurgeAsync(purge);
        await AuditAsync(actor, "cache.purge", subject, $"{count} entries");
        return count;
    }

    /// <summary>The cache's figures since <paramref name="since"/>, from the ledger (so they survive a restart).</summary>
    public async Task<CacheFigures> FiguresAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.RequestLog.AsNoTracking()
            .Where(r => r.Timestamp >= since && r.CacheLevel != null)
            .GroupBy(r => new { r.Rule, r.CacheLevel })
            .Select(g => new { g.Key.Rule, g.Key.CacheLevel, Count = g.LongCount(), Saved = g.Sum(r => r.CacheAvoidedCostNanoUsd) })
            .ToListAsync(cancellationToken);

        long Count(string level) => rows.Where(r => r.CacheLevel == level).Sum(r => r.Count);
        var rules = rows.GroupBy(r => r.Rule)
            .Select(g => new CacheRuleFigures(
                g.Key,
                g.Where(r => r.CacheLevel is "exact" or "semantic").Sum(r => r.Count),
                g.Where(r => r.CacheLevel == "miss").Sum(r => r.Count),
                Money.FromNanoUsd(g.Sum(r => r.Saved))))
            .OrderByDescending(r => r.Hits + r.Misses)
            .ToList();
        var answered = await db.RequestLog.AsNoTracking()
            .Where(r => r.Timestamp >= since && r.CacheLevel == "miss" && r.Status == (int)LedgerStatus.Answered)
            .GroupBy(r => 1)
            .Select(g => new { Count = g.LongCount(), Latency = g.Average(r => r.LatencyMs), Cost = g.Average(r => (double)r.CostNanoUsd) })
            .SingleOrDefaultAsync(cancellationToken);
        return new CacheFigures(Count("exact"), Count("semantic"), Count("miss"), Count("bypass"), Money.FromNanoUsd(rows.Sum(r => r.Saved)), rules)
        {
            MissesAnswered = answered?.Count ?? 0,
            MissLatencyMs = answered?.Latency ?? 0,
            MissCost = answered is null ? 0m : Money.FromNanoUsd((long)Math.Round(answered.Cost)),
        };
    }

    /// <summary>
    /// The break-even hit rate from measured figures: the cache's own timings of its lookups since start, and the
    /// latency and cost of the model answers to misses in <paramref name="figures"/>. Null until both are known.
    /// </summary>
    public CacheBreakEven? BreakEven(CacheFigures figures)
    {
        if (cache.Counters.AverageMissLookup is not { } miss || figures.MissesAnswered == 0)
        {
            return null;
        }

        var model = TimeSpan.FromMilliseconds(figures.MissLatencyMs) - miss;
        return new CacheBreakEven(miss, cache.Counters.AverageHitLookup ?? TimeSpan.Zero, model < TimeSpan.Zero ? TimeSpan.Zero : model, figures.MissCost, LookupCost: 0m);
    }

    /// <summary>Whether the cache's embeddings are computed in this process (no charge per lookup).</summary>
    public bool LocalEmbeddings => cache.EmbedderLocal;

    /// <summary>
    /// The dashboard's cache figures for <paramref name="range"/> and the period before it, under the dashboard's
    /// filters: one grouped count per period over the ledger rows the cache saw (indexed by level and time).
    /// </summary>
    public async Task<CacheDashboardFigures> DashboardAsync(MetricsRange range, MetricsFilter filter, string rangeName, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var current = await RangeAsync(db, range.From, range.To, filter, cancellationToken);
        var previous = await RangeAsync(db, range.Previous.From, range.Previous.To, filter, cancellationToken);
        return new CacheDashboardFigures(current, previous, rangeName, cache.Settings.Enabled);
    }

    private static async Task<CacheRangeFigures> RangeAsync(CostConsoleDbContext db, DateTimeOffset from, DateTimeOffset to, MetricsFilter filter, CancellationToken cancellationToken)
    {
        var rows = LedgerRows.InRange(db, from, to, filter).Where(r => r.CacheLevel != null);

        var levels = await rows
            .GroupBy(r => r.CacheLevel)
            .Select(g => new { Level = g.Key, Count = g.LongCount(), Saved = g.Sum(r => r.CacheAvoidedCostNanoUsd) })
            .ToListAsync(cancellationToken);
        long Count(string level) => levels.Where(l => l.Level == level).Sum(l => l.Count);
        return new CacheRangeFigures(Count("exact"), Count("semantic"), Count("miss"), Count("bypass"), Money.FromNanoUsd(levels.Sum(l => l.Saved)));
    }

    private async Task AuditAsync(string actor, string action, string subject, string? details)
    {
        await using var db = await factory.CreateDbContextAsync();
        db.AuditLog.Add(new AuditLogEntity { At = time.GetUtcNow(), Actor = actor, Action = action, Subject = subject, Details = details });
        await db.SaveChangesAsync();
    }
}
