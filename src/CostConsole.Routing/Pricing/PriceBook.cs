using System.Collections.Frozen;
using CostConsole.Routing.Catalogue;

namespace CostConsole.Routing.Pricing;

/// <summary>
/// Effective-dated prices per model. A request is priced at the version in force at its own time, so a
/// price change never rewrites historical spend.
/// </summary>
public sealed class PriceBook
{
    private readonly FrozenDictionary<string, ModelPrice[]> _versions;

    public PriceBook(IEnumerable<ModelPrice> prices)
    {
        _versions = prices
            .GroupBy(p => p.ModelKey, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => g.OrderBy(p => p.EffectiveFrom).ToArray(), StringComparer.Ordinal);
    }

    public static PriceBook Empty { get; } = new([]);

    /// <summary>The price version in force at <paramref name="at"/>, or null when the model had no price then.</summary>
    public ModelPrice? PriceAt(string modelKey, DateTimeOffset at)
    {
        if (!_versions.TryGetValue(modelKey, out var versions))
        {
            return null;
        }

        // Versions are few per model; the newest is the usual answer, so search from the end.
        for (var i = versions.Length - 1; i >= 0; i--)
        {
            if (versions[i].EffectiveFrom <= at)
            {
                return versions[i];
            }
        }

        return null;
    }

    public IReadOnlyList<ModelPrice> History(string modelKey) =>
        _versions.TryGetValue(modelKey, out var versions) ? versions : [];
}
