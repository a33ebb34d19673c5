using CostConsole.Routing.Catalogue;

namespace CostConsole.Routing.Pricing;

public static class CostCalculator
{
    private const decimal TokensPerMillion = 1_000_000m;

    /// <summary>USD for <paramref name="usage"/> at <paramref name="price"/>: uncached prompt, cached prompt and completion tokens.</summary>
    public static decimal Cost(ModelPrice price, TokenUsage usage)
    {
        var cached = Math.Clamp(usage.CachedPromptTokens, 0, usage.PromptTokens);
        var uncached = usage.PromptTokens - cached;
        var cachedRate = price.CachedInputPerMillion ?? price.InputPerMillion;
        return (uncached * price.InputPerMillion + cached * cachedRate + usage.CompletionTokens * price.OutputPerMillion) / TokensPerMillion;
    }

    /// <summary>
    /// Cost of <paramref name="usage"/> on <paramref name="modelKey"/> at the price in force at <paramref name="at"/> — its
    /// batch price when <paramref name="batch"/> — or null when unpriced.
    /// </summary>
    public static decimal? Cost(PriceBook prices, string modelKey, DateTimeOffset at, TokenUsage usage, bool batch = false) =>
        prices.PriceAt(modelKey, at) is { } price ? Cost(batch ? price.ForBatch() : price, usage) : null;
}
