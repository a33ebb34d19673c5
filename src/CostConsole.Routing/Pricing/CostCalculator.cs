using CostConsole.Routing.Catalogue;

namespace CostConsole.Routing.Pricing;

public static class CostCalculator
{
    private const decimal TokensPerMillion = 1_000_000m;

    /// <summary>
    /// USD for <paramref name="usage"/> at <paramref name="price"/>: uncached prompt tokens at the input price, cache
    /// reads at the cached-input price, cache writes at the cache-write price (each falling back to the input price when
    /// the model has none), and completion tokens.
    /// </summary>
    public static decimal Cost(ModelPrice price, TokenUsage usage)
    {
        var cached = Math.Clamp(usage.CachedPromptTokens, 0, usage.PromptTokens);
        var written = Math.Clamp(usage.CacheWriteTokens, 0, usage.PromptTokens - cached);
        var uncached = usage.PromptTokens - cached - written;
        var cachedRate = price.CachedInputPerMillion ?? price.InputPerMillion;
        var writeRate = price.CacheWritePerMillion ?? price.InputPerMillion;
        return (uncached * price.InputPerMillion + cached * cachedRate + written * writeRate + usage.CompletionTokens * price.OutputPerMillion) / TokensPerMillion;
    }

    /// <summary>
    /// Cost of <paramref name="usage"/> on <paramref name="modelKey"/> at the price in force at <paramref name="at"/> — its
    /// batch price when <paramref name="batch"/> — or null when unpriced.
    /// </summary>
    public static decimal? Cost(PriceBook prices, string modelKey, DateTimeOffset at, TokenUsage usage, bool batch = false) =>
        prices.PriceAt(modelKey, at) is { } price ? Cost(batch ? price.ForBatch() : price, usage) : null;
}
