using CostConsole.Data.Entities;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Data.Learning;

/// <summary>The trained model in shadow, as the database holds it: at most one row not yet stopped.</summary>
public static class ShadowStore
{
    public static Task<RouterShadowEntity?> ActiveRowAsync(CostConsoleDbContext db, CancellationToken cancellationToken = default) =>
        db.RouterShadows.Where(s => s.StoppedAt == null).OrderByDescending(s => s.Id).FirstOrDefaultAsync(cancellationToken);

    /// <summary>The shadow in force as the engine compiles it, or null.</summary>
    public static async Task<TrainedClassifierDefinition?> ActiveAsync(CostConsoleDbContext db, CancellationToken cancellationToken = default)
    {
        var row = await db.RouterShadows.AsNoTracking().Where(s => s.StoppedAt == null).OrderByDescending(s => s.Id).FirstOrDefaultAsync(cancellationToken);
        return row is null ? null : Definition(row);
    }

    public static TrainedClassifierDefinition Definition(RouterShadowEntity row) => new()
    {
        Model = row.Model,
        Policy = (TrainedPolicy)row.Policy,
        QualityTarget = row.QualityTarget,
        Lambda = row.Lambda,
    };

    /// <summary><paramref name="found"/> plus the stored model <paramref name="reference"/> names, when it is stored (shipped ones the engine finds itself).</summary>
    public static async Task<IReadOnlyDictionary<string, TrainedRouterModel>> WithModelAsync(
        CostConsoleDbContext db, IReadOnlyDictionary<string, TrainedRouterModel> found, string reference, CancellationToken cancellationToken = default)
    {
        if (found.ContainsKey(reference) || ShippedModels.Find(reference) is not null || !TrainedModelStore.TryParse(reference, out var name, out var version))
        {
            return found;
        }

        var json = await db.TrainedModels.AsNoTracking().Where(m => m.Name == name && m.Version == version).Select(m => m.ModelJson).FirstOrDefaultAsync(cancellationToken);
        if (json is null)
        {
            return found;
        }

        return new Dictionary<string, TrainedRouterModel>(found, StringComparer.Ordinal) { [reference] = TrainedRouterModel.FromJson(json) };
    }
}
