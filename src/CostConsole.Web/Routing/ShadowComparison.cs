using CostConsole.Data;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Routing;

/// <summary>One tier's share of the compared requests: how many the published router sent there, and how many the shadow would have.</summary>
public sealed record ShadowTierMix(string Tier, int Published, int Shadow);

/// <summary>
/// What the shadow's choices would have done to quality, from the evidence the ledger holds: a tier whose answer failed its
/// quality gates (and so escalated) was not acceptable; the tier whose answer passed was. A shadow tier at or above the one
/// that passed counts as acceptable (a more capable tier is assumed at least as good); one that was tried and failed, as
/// not; a cheaper tier than the published router chose was never tried, so nothing is known of it.
/// </summary>
public sealed record ShadowQuality(int Acceptable, int NotAcceptable, int Unknown, int PublishedFirstTry)
{
    public int Known => Acceptable + NotAcceptable;
}

/// <summary>The shadow against the published router on the same requests, from the ledger.</summary>
public sealed record ShadowComparison
{
    public required string Model { get; init; }

    /// <summary>Answered requests the classifier decided while the model was in shadow, cache hits left out (at most <see cref="ShadowComparer.MaxRows"/>, the newest).</summary>
    public int Compared { get; init; }

    /// <summary>Requests where the shadow failed to decide; recorded and ignored, left out of every other figure.</summary>
    public int ShadowFailed { get; init; }

    public int Agreed { get; init; }

    public double? Agreement => Compared == 0 ? null : (double)Agreed / Compared;

    /// <summary>The shadow chose a cheaper tier than the published router / a more capable one.</summary>
    public int ShadowCheaper { get; init; }

    public int ShadowDearer { get; init; }

    public IReadOnlyList<ShadowTierMix> Mix { get; init; } = [];

    /// <summary>What the compared requests cost (every attempt, escalations and judges included).</summary>
    public decimal ActualCost { get; init; }

    /// <summary>The same token counts at the published router's tier's first model price.</summary>
    public decimal PublishedProjectedCost { get; init; }

    /// <summary>The same token counts at the shadow tier's first model price.</summary>
    public decimal ShadowProjectedCost { get; init; }

    /// <summary>Compared requests left out of the cost figures: a tier with no price in force.</summary>
    public int Unpriced { get; init; }

    public required ShadowQuality Quality { get; init; }

    public bool Truncated { get; init; }
}

/// <summary>Reads the ledger rows a shadow decided on and compares its choices with what was served.</summary>
public sealed class ShadowComparer(IDbContextFactory<CostConsoleDbContext> factory, RoutingState routing)
{
    public const int MaxRows = 50_000;

    /// <summary>The ledger's index of the rows a shadow decided on, by shadow and time.</summary>
    internal const string ShadowIndex = "IX_RequestLog_ShadowModel_Timestamp";

    /// <param name="until">When the shadow was stopped; null while it runs.</param>
    public async Task<ShadowComparison> CompareAsync(string model, DateTimeOffset since, DateTimeOffset? until, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);

        // SQLite would rather walk every answered request of the range (the status index) than the shadow's own rows.
#pragma warning disable EF1002, EF1003 // The index name is a constant, never input.
        var source = db.Database.IsSqlite() ? db.RequestLog.FromSqlRaw("SELECT * FROM RequestLog INDEXED BY " + ShadowIndex) : db.RequestLog;
#pragma warning restore EF1002, EF1003
        var query = source.AsNoTracking().Where(r => r.ShadowModel == model && r.Timestamp >= since && r.Status == (int)LedgerStatus.Answered
            && (r.CacheLevel == null || r.CacheLevel == "miss" || r.CacheLevel == "bypass"));
        if (until is { } end)
        {
            query = query.Where(r => r.Timestamp <= end);
        }

        var rows = await query.OrderByDescending(r => r.Timestamp).Take(MaxRows + 1)
            .Select(r => new Row(r.Timestamp, r.Tier, r.ShadowTier, r.PromptTokens, r.CachedTokens, r.CompletionTokens, r.CostNanoUsd, r.Escalations, r.Review, r.BatchId != null))
            .ToListAsync(cancellationToken);
        var truncated = rows.Count > MaxRows;
        return Compare(model, truncated ? rows[..MaxRows] : rows, routing.Current, truncated);
    }

    internal static ShadowComparison Compare(string model, IReadOnlyList<Row> rows, RoutingSnapshot snapshot, bool truncated)
    {
        var tiers = snapshot.Tiers;
        var published = new int[tiers.Count];
        var shadow = new int[tiers.Count];
        int compared = 0, failed = 0, agreed = 0, cheaper = 0, dearer = 0, unpriced = 0;
        int acceptable = 0, notAcceptable = 0, unknown = 0, firstTry = 0;
        decimal actual = 0, publishedCost = 0, shadowCost = 0;
        foreach (var row in rows)
        {
            var served = IndexOf(tiers, row.Tier);
            if (row.ShadowTier is null || served < 0)
            {
                failed += row.ShadowTier is null ? 1 : 0;
                continue;
            }

            var chosen = IndexOf(tiers, row.ShadowTier);
            if (chosen < 0)
            {
                failed++;
                continue;
            }

            compared++;
            published[served]++;
            shadow[chosen]++;
            agreed += chosen == served ? 1 : 0;
            cheaper += chosen < served ? 1 : 0;
            dearer += chosen > served ? 1 : 0;

            var usage = new TokenUsage(row.PromptTokens, row.CachedTokens, row.CompletionTokens);
            var at = row.Timestamp;
            if (Price(snapshot, tiers[served], at, usage, row.Batch) is { } asPublished && Price(snapshot, tiers[chosen], at, usage, row.Batch) is { } asShadow)
            {
                actual += Money.FromNanoUsd(row.CostNanoUsd);
                publishedCost += asPublished;
                shadowCost += asShadow;
            }
            else
            {
                unpriced++;
            }

            // The evidence: tiers served..passed-1 failed their gates; passed is the first that passed (none on human review).
            var reviewed = row.Review != (int)ReviewState.None;
            var lastTried = Math.Min(served + row.Escalations, tiers.Count - 1);
            firstTry += row.Escalations == 0 && !reviewed ? 1 : 0;
            if (chosen < served)
            {
                unknown++;
            }
            else if (!reviewed && chosen >= lastTried)
            {
                acceptable++;
            }
            else if (chosen <= lastTried)
            {
                notAcceptable++;
            }
            else
            {
                unknown++;
            }
        }

        return new ShadowComparison
        {
            Model = model,
            Compared = compared,
            ShadowFailed = failed,
            Agreed = agreed,
            ShadowCheaper = cheaper,
            ShadowDearer = dearer,
            Mix = [.. tiers.Select((t, i) => new ShadowTierMix(t, published[i], shadow[i]))],
            ActualCost = actual,
            PublishedProjectedCost = publishedCost,
            ShadowProjectedCost = shadowCost,
            Unpriced = unpriced,
            Quality = new ShadowQuality(acceptable, notAcceptable, unknown, firstTry),
            Truncated = truncated,
        };
    }

    private static decimal? Price(RoutingSnapshot snapshot, string tier, DateTimeOffset at, TokenUsage usage, bool batch) =>
        snapshot.CandidatesFor(tier) is { Count: > 0 } candidates ? CostCalculator.Cost(snapshot.Prices, candidates[0].Key, at, usage, batch) : null;

    private static int IndexOf(IReadOnlyList<string> tiers, string? tier)
    {
        for (var i = 0; i < tiers.Count; i++)
        {
            if (string.Equals(tiers[i], tier, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    internal sealed record Row(DateTimeOffset Timestamp, string? Tier, string? ShadowTier, long PromptTokens, long CachedTokens, long CompletionTokens, long CostNanoUsd, int Escalations, int Review, bool Batch);
}
