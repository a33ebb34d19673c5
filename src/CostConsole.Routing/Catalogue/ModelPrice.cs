namespace CostConsole.Routing.Catalogue;

/// <summary>
/// One version of a model's price, in USD per one million tokens, in force from <see cref="EffectiveFrom"/>
/// until the next version. A missing cached price means cached tokens are billed as input.
/// </summary>
public sealed record ModelPrice(
    string ModelKey,
    DateTimeOffset EffectiveFrom,
    decimal InputPerMillion,
    decimal? CachedInputPerMillion,
    decimal OutputPerMillion,
    decimal? BatchDiscount = null)
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
        }
        : this;
}
