namespace CostConsole.Routing.Catalogue;

/// <summary>
/// One version of a model's price, in USD per one million tokens, in force from <see cref="EffectiveFrom"/>
/// until the next version. A missing cached price means cached tokens are billed as input; a missing cache-write
/// price means tokens written to the provider's prompt cache are billed as input.
/// </summary>
public sealed record ModelPrice(
    string ModelKey,
    DateTimeOffset EffectiveFrom,
    decimal InputPerMillion,
    decimal? CachedInputPerMillion,
    decimal OutputPerMillion,
    decimal? BatchDiscount = null,
    decimal? CacheWritePerMillion = null)
{
    /// <summary>
    /// The price a batch line pays: every rate less <see cref="BatchDiscount"/> (a fraction, 0.5 = half price); the
    /// interactive price when the model has no batch discount.
    /// </summary>
    public ModelPrice ForBatch() => BatchDiscount is > 0m and <= 1m
        ? this with
        {
            InputPerMillion = InputPerMillion * (1m - BatchDiscount.Value),
            CachedInputPerMillion = CachedInputPerMillion * (1m - BatchDiscount.Value),
            OutputPerMillion = OutputPerMillion * (1m - BatchDiscount.Value),
            CacheWritePerMillion = CacheWritePerMillion * (1m - BatchDiscount.Value),
        }
        : this;
}
