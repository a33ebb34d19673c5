using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pricing;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Metrics;

/// <summary>
/// Batch lines and provider cache reads over one range of the ledger: what the batch lines cost and what their batch
/// price saved against the interactive price, and what reading input from providers' prompt caches saved against
/// the input price.
/// </summary>
public sealed record DiscountRangeFigures(long BatchLines, decimal BatchSpend, decimal BatchSaved, long CachedTokens, decimal CachingSaved)
{
    public static DiscountRangeFigures None { get; } = new(0, 0m, 0m, 0, 0m);

    /// <summary>What the same batch lines would have cost at the interactive price.</summary>
    public decimal BatchAtInteractivePrice => BatchSpend + BatchSaved;

    /// <summary>The batch price's saving as a share of the interactive price; null when there was nothing to price.</summary>
    public double? BatchSavedShare => BatchAtInteractivePrice > 0m ? (double)(BatchSaved / BatchAtInteractivePrice) : null;
}

/// <summary>The dashboard's batch and provider-caching cards: the range, the period before it, and whether any batch was ever made.</summary>
public sealed record DiscountDashboardFigures(DiscountRangeFigures Range, DiscountRangeFigures PreviousRange, string RangeName, bool Batched)
{
    /// <summary>The batch cards are worth showing once a batch was made, even in a range without batch lines.</summary>
    public bool ShowsBatches => Batched || Range.BatchLines + PreviousRange.BatchLines > 0;

    /// <summary>The caching card is worth showing when a provider read input from its cache in either period.</summary>
    public bool ShowsCaching => Range.CachedTokens + PreviousRange.CachedTokens > 0;
}

/// <summary>
/// The dashboard's discount figures from the ledger, under the dashboard's filters: per period one grouped query over
/// the batch lines and one over the rows with cache reads (each read through its own partial index on time), priced at
/// the price version each row was charged at. A model whose price changed inside the range is summed per version.
/// </summary>
internal sealed class DiscountHistory(IDbContextFactory<CostConsoleDbContext> factory)
{
    private const decimal TokensPerMillion = 1_000_000m;

    public async Task<DiscountDashboardFigures> DashboardAsync(MetricsRange range, MetricsFilter filter, string rangeName, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var prices = await PriceVersions.LoadAsync(db, cancellationToken);
        var current = await RangeAsync(db, prices, range.From, range.To, filter, cancellationToken);
        var previous = await RangeAsync(db, prices, range.Previous.From, range.Previous.To, filter, cancellationToken);
        var batched = await db.Batches.AnyAsync(cancellationToken);
        return new DiscountDashboardFigures(current, previous, rangeName, batched);
    }

    private static async Task<DiscountRangeFigures> RangeAsync(CostConsoleDbContext db, PriceVersions prices, DateTimeOffset from, DateTimeOffset to, MetricsFilter filter, CancellationToken cancellationToken)
    {
        long batchLines = 0, batchSpend = 0, cachedTokens = 0;
        decimal batchSaved = 0m, cachingSaved = 0m;

        var batches = await PricedAsync(prices, from, to, (f, t) => Rows(db, f, t, filter).Where(r => r.BatchId != null), cancellationToken);
        foreach (var (sums, version) in batches)
        {
            batchLines += sums.Lines;
            batchSpend += sums.CostNanoUsd;
            if (version is { Price: var price })
            {
                var usage = new TokenUsage(sums.PromptTokens, sums.CachedTokens, sums.CompletionTokens) { CacheWriteTokens = sums.CacheWriteTokens };
                batchSaved += CostCalculator.Cost(price, usage) - CostCalculator.Cost(price.ForBatch(), usage);
            }
        }

        var reads = await PricedAsync(prices, from, to, (f, t) => Rows(db, f, t, filter).Where(r => r.CachedTokens > 0), cancellationToken);
        foreach (var (sums, version) in reads)
        {
            cachedTokens += sums.CachedTokens;
            if (version is { Price: var price })
            {
                // A batch line's cache reads are saved at its batch rates.
                var rates = sums.Batch ? price.ForBatch() : price;
                cachingSaved += sums.CachedTokens * (rates.InputPerMillion - (rates.CachedInputPerMillion ?? rates.InputPerMillion)) / TokensPerMillion;
            }
        }

        return new DiscountRangeFigures(batchLines, Money.FromNanoUsd(batchSpend), batchSaved, cachedTokens, cachingSaved);
    }

    /// <summary>
    /// The rows' sums per model and batch-or-not, each with the price version they were charged at: one grouped query
    /// over the range, and one more per stretch for a model whose price changed inside it.
    /// </summary>
    private static async Task<List<(Sums Sums, PriceVersion? Version)>> PricedAsync(
        PriceVersions prices, DateTimeOffset from, DateTimeOffset to, Func<DateTimeOffset, DateTimeOffset, IQueryable<RequestLogRow>> rows, CancellationToken cancellationToken)
    {
        var whole = await GroupAsync(rows(from, to), cancellationToken);
        var priced = new List<(Sums, PriceVersion?)>();
        foreach (var model in whole.Select(s => s.Model).Distinct())
        {
            var stretches = prices.Stretches(model, from, to);
            if (stretches.Count == 1)
            {
                priced.AddRange(whole.Where(s => s.Model == model).Select(s => (s, stretches[0].Version)));
                continue;
            }

            foreach (var (start, end, version) in stretches)
            {
                var part = await GroupAsync(rows(start, end).Where(r => r.Model == model), cancellationToken);
                priced.AddRange(part.Select(s => (s, version)));
            }
        }

        return priced;
    }

    private static Task<List<Sums>> GroupAsync(IQueryable<RequestLogRow> rows, CancellationToken cancellationToken) =>
        rows.GroupBy(r => new { r.Model, Batch = r.BatchId != null })
            .Select(g => new Sums(
                g.Key.Model,
                g.Key.Batch,
                g.LongCount(),
                g.Sum(r => r.CostNanoUsd),
                g.Sum(r => r.PromptTokens),
                g.Sum(r => r.CachedTokens),
                g.Sum(r => r.CacheWriteTokens),
                g.Sum(r => r.CompletionTokens)))
            .ToListAsync(cancellationToken);

    private static IQueryable<RequestLogRow> Rows(CostConsoleDbContext db, DateTimeOffset from, DateTimeOffset to, MetricsFilter filter) =>
        LedgerRows.InRange(db, from, to, filter);

    private sealed record Sums(string? Model, bool Batch, long Lines, long CostNanoUsd, long PromptTokens, long CachedTokens, long CacheWriteTokens, long CompletionTokens);
}
