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
    decimal? BatchDiscount = null);
