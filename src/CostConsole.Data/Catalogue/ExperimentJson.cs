using System.Text.Json;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Experiments;

namespace CostConsole.Data.Catalogue;

/// <summary>One arm as stored: its name, its share of traffic in percent and its tier mapping (tier → models in order).</summary>
public sealed record StoredArm(string Name, int Weight, Dictionary<string, List<string>> Tiers);

/// <summary>How experiments' scopes and arms are written to the database, and read back for the router.</summary>
public static class ExperimentJson
{
    public static string Scope(ExperimentScope scope) => JsonSerializer.Serialize(scope, RoutingJson.Options);

    public static ExperimentScope Scope(string json) => JsonSerializer.Deserialize<ExperimentScope>(json, RoutingJson.Options) ?? ExperimentScope.All;

    public static string Arms(IReadOnlyList<StoredArm> arms) => JsonSerializer.Serialize(arms, RoutingJson.Options);

    public static IReadOnlyList<StoredArm> Arms(string json) => JsonSerializer.Deserialize<List<StoredArm>>(json, RoutingJson.Options) ?? [];

    /// <summary>The name an arm's mapping carries in the ledger and the trace.</summary>
    public static string MappingName(string experiment, string arm) => $"{experiment} / {arm}";

    public static ExperimentDefinition Definition(ExperimentEntity e) => new(
        e.Id,
        e.Name,
        e.Salt,
        (AssignmentUnitKind)e.Unit,
        Scope(e.ScopeJson),
        [.. Arms(e.ArmsJson).Select(a => new ExperimentArmDefinition(
            a.Name,
            a.Weight,
            new TierMappingDefinition(
                MappingName(e.Name, a.Name),
                a.Tiers.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.OrdinalIgnoreCase))))]);
}
