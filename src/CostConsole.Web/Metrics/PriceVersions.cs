using CostConsole.Data;
using CostConsole.Routing.Catalogue;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Metrics;

/// <summary>One stored price version of a model: its id, the ledger's "provider/model" key, and its rates.</summary>
internal readonly record struct PriceVersion(long Id, string Provider, string Model, ModelPrice Price)
{
    public DateTimeOffset EffectiveFrom => Price.EffectiveFrom;
}

/// <summary>
/// Every model's price versions by the ledger's "provider/model" key, to find the one a ledger row was charged at:
/// the latest that took effect at or before the row's time. The finance exports and the dashboard's discount cards
/// read the ledger's rows against the same versions.
/// </summary>
internal sealed class PriceVersions
{
    private readonly Dictionary<long, PriceVersion> _byId;
    private readonly Dictionary<string, PriceVersion[]> _byModel;

    private PriceVersions(IReadOnlyList<PriceVersion> versions)
    {
        _byId = versions.ToDictionary(p => p.Id);
        _byModel = versions.GroupBy(p => p.Price.ModelKey, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(p => p.EffectiveFrom).ToArray(), StringComparer.Ordinal);
    }

    public static async Task<PriceVersions> LoadAsync(CostConsoleDbContext db, CancellationToken cancellationToken)
    {
        var rows = await db.ModelPrices.AsNoTracking()
            .Select(p => new
            {
                p.Id,
                Provider = p.Model!.Provider!.Name,
                Model = p.Model.ModelId,
                p.EffectiveFrom,
                p.InputPerMillion,
                p.CachedInputPerMillion,
                p.OutputPerMillion,
                p.BatchDiscount,
                p.CacheWritePerMillion,
            })
            .ToListAsync(cancellationToken);
        return new PriceVersions([.. rows.Select(p => new PriceVersion(p.Id, p.Provider, p.Model, new ModelPrice(
            ModelKey.Of(p.Provider, p.Model), p.EffectiveFrom, p.InputPerMillion, p.CachedInputPerMillion, p.OutputPerMillion, p.BatchDiscount, p.CacheWritePerMillion)))]);
    }

    public PriceVersion? Find(long id) => _byId.TryGetValue(id, out var version) ? version : null;

    /// <summary>The version in force for <paramref name="model"/> at <paramref name="at"/>; null for an unknown model or a time before its first price.</summary>
    public PriceVersion? At(string? model, DateTimeOffset at)
    {
        if (model is null || !_byModel.TryGetValue(model, out var versions))
        {
            return null;
        }

        PriceVersion? found = null;
        foreach (var version in versions)
        {
            if (version.EffectiveFrom > at)
            {
                break;
            }

            found = version;
        }

        return found;
    }

    /// <summary>
    /// The stretches of [<paramref name="from"/>, <paramref name="to"/>) over which one version of <paramref name="model"/>
    /// was in force (null before its first price), in time order; one stretch when the price did not change.
    /// </summary>
    public IReadOnlyList<(DateTimeOffset From, DateTimeOffset To, PriceVersion? Version)> Stretches(string? model, DateTimeOffset from, DateTimeOffset to)
    {
        var stretches = new List<(DateTimeOffset, DateTimeOffset, PriceVersion?)>();
        var start = from;
        var current = At(model, from);
        if (model is not null && _byModel.TryGetValue(model, out var versions))
        {
            foreach (var version in versions.Where(v => v.EffectiveFrom > from && v.EffectiveFrom < to))
            {
                stretches.Add((start, version.EffectiveFrom, current));
                (start, current) = (version.EffectiveFrom, version);
            }
        }

        stretches.Add((start, to, current));
        return stretches;
    }
}
