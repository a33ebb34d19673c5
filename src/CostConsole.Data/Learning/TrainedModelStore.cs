using System.Globalization;
using System.Text.Json;
using CostConsole.Data.Entities;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Data.Learning;

/// <summary>A stored model as listed: everything but its weights.</summary>
public sealed record StoredModelView(string Reference, string Name, int Version, string TrainedBy, DateTimeOffset TrainedAt, string? SummaryJson, string? MetricsJson);

/// <summary>
/// Trained router models in the database. Storing one gives it the next version of its name; nothing changes or
/// deletes a stored model, so every rule set version that names one keeps compiling.
/// </summary>
public static class TrainedModelStore
{
    private const int Attempts = 5;

    /// <summary>Stores <paramref name="model"/> as the next version of its name and returns it as stored (with that version).</summary>
    public static async Task<TrainedRouterModel> StoreAsync(CostConsoleDbContext db, TrainedRouterModel model, string trainedBy, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var stored = await db.TrainedModels.Where(m => m.Name == model.Name).MaxAsync(m => (int?)m.Version, cancellationToken) ?? 0;
            var version = Math.Max(stored, ShippedVersion(model.Name)) + 1;
            var versioned = model with { Version = version };
            var row = new TrainedModelEntity
            {
                Name = model.Name,
                Version = version,
                ModelJson = versioned.ToJson(),
                SummaryJson = model.Summary is null ? null : JsonSerializer.Serialize(model.Summary, TrainedRouterModel.SerializerOptions),
                MetricsJson = model.Metrics?.GetRawText(),
                TrainedBy = trainedBy,
                TrainedAt = model.TrainedAt,
                StoredAt = now,
            };
            db.TrainedModels.Add(row);
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                return versioned;
            }
            catch (DbUpdateException) when (attempt < Attempts)
            {
                // Someone stored the same version of this name at the same moment: take the next one.
                db.Entry(row).State = EntityState.Detached;
            }
        }
    }

    /// <summary>The stored models a rule set names, by "name@version" (shipped models are found by the engine itself).</summary>
    public static async Task<IReadOnlyDictionary<string, TrainedRouterModel>> ReferencedAsync(CostConsoleDbContext db, RuleSetDefinition ruleSet, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<string, TrainedRouterModel>(StringComparer.Ordinal);
        if (ruleSet.Classifier.Kind != ClassifierKind.Trained || ruleSet.Classifier.Trained?.Model is not { Length: > 0 } reference
            || !TryParse(reference, out var name, out var version) || ShippedModels.Find(reference) is not null)
        {
            return found;
        }

        var json = await db.TrainedModels.AsNoTracking().Where(m => m.Name == name && m.Version == version).Select(m => m.ModelJson).FirstOrDefaultAsync(cancellationToken);
        if (json is not null)
        {
            found[reference] = TrainedRouterModel.FromJson(json);
        }

        return found;
    }

    public static async Task<IReadOnlyList<StoredModelView>> ListAsync(CostConsoleDbContext db, CancellationToken cancellationToken = default)
    {
        var rows = await db.TrainedModels.AsNoTracking()
            .OrderByDescending(m => m.StoredAt).ThenBy(m => m.Name).ThenByDescending(m => m.Version)
            .Select(m => new { m.Name, m.Version, m.TrainedBy, m.TrainedAt, m.SummaryJson, m.MetricsJson })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(m => new StoredModelView($"{m.Name}@{m.Version}", m.Name, m.Version, m.TrainedBy, m.TrainedAt, m.SummaryJson, m.MetricsJson))];
    }

    /// <summary>Splits "name@version".</summary>
    public static bool TryParse(string reference, out string name, out int version)
    {
        var at = reference.LastIndexOf('@');
        name = at > 0 ? reference[..at] : "";
        version = 0;
        return at > 0 && int.TryParse(reference.AsSpan(at + 1), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }

    // A stored model never takes a version a shipped model of the same name already has.
    private static int ShippedVersion(string name) =>
        ShippedModels.Names.Select(n => TryParse(n, out var shipped, out var version) && shipped == name ? version : 0).DefaultIfEmpty(0).Max();
}
