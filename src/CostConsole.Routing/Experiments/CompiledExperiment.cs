using System.Collections.Frozen;
using CostConsole.Routing.Decisions;

namespace CostConsole.Routing.Experiments;

/// <summary>A running experiment ready for the request path: scope as frozen sets, arms as candidate lists per tier.</summary>
internal sealed class CompiledExperiment
{
    public required long Id { get; init; }

    public required string Name { get; init; }

    public required string Salt { get; init; }

    public required AssignmentUnitKind Unit { get; init; }

    public required FrozenSet<long> Keys { get; init; }

    public required FrozenSet<string> Teams { get; init; }

    public required FrozenSet<int> TierIndexes { get; init; }

    public required FrozenSet<string> Rules { get; init; }

    public required int[] Weights { get; init; }

    public required string[] ArmNames { get; init; }

    public required string[] ArmMappingNames { get; init; }

    /// <summary>Per arm, per tier index: the candidates as <see cref="RoutingDecision.Candidates"/> lists them.</summary>
    public required RoutedModel[][][] ArmCandidates { get; init; }

    /// <summary>Per arm: the note the trace shows.</summary>
    public required string[] ArmNotes { get; init; }

    public bool InScope(RoutingDecision decision, long? keyId, string? team, int tierIndex)
    {
        if (Keys.Count > 0 && (keyId is not { } key || !Keys.Contains(key)))
        {
            return false;
        }

        if (Teams.Count > 0 && (team is null || !Teams.Contains(team)))
        {
            return false;
        }

        if (TierIndexes.Count > 0 && !TierIndexes.Contains(tierIndex))
        {
            return false;
        }

        return Rules.Count == 0 || (decision.Rule is { } rule && Rules.Contains(rule));
    }
}

/// <summary>Validates the running experiments of a <see cref="RoutingConfig"/> and compiles them.</summary>
internal static class ExperimentCompiler
{
    public static CompiledExperiment[] Compile(
        RoutingConfig config,
        string[] tiers,
        Dictionary<string, int> tierIndex,
        Func<TierMappingDefinition, string, RoutedModel[][]> compileMapping,
        List<string> errors)
    {
        var compiled = new List<CompiledExperiment>();
        foreach (var experiment in config.Experiments)
        {
            var label = $"Experiment '{experiment.Name}'";
            foreach (var problem in ExperimentRules.Problems(experiment, tiers))
            {
                errors.Add($"{label}: {problem}");
            }

            var arms = experiment.Arms;
            compiled.Add(new CompiledExperiment
            {
                Id = experiment.Id,
                Name = experiment.Name,
                Salt = experiment.Salt,
                Unit = experiment.Unit,
                Keys = experiment.Scope.ApiKeyIds.ToFrozenSet(),
                Teams = experiment.Scope.Teams.ToFrozenSet(StringComparer.OrdinalIgnoreCase),
                TierIndexes = experiment.Scope.Tiers.Where(tierIndex.ContainsKey).Select(t => tierIndex[t]).ToFrozenSet(),
                Rules = experiment.Scope.Rules.ToFrozenSet(StringComparer.OrdinalIgnoreCase),
                Weights = [.. arms.Select(a => a.Weight)],
                ArmNames = [.. arms.Select(a => a.Name)],
                ArmMappingNames = [.. arms.Select(a => a.Mapping.Name)],
                ArmCandidates = [.. arms.Select(a => compileMapping(a.Mapping, $"{label}, arm '{a.Name}'"))],
                ArmNotes = [.. arms.Select((a, i) => $"experiment '{experiment.Name}': arm {a.Name}{(i == 0 ? " (control)" : "")} by {UnitName(experiment.Unit)}")],
            });
        }

        for (var i = 0; i < config.Experiments.Count; i++)
        {
            for (var j = i + 1; j < config.Experiments.Count; j++)
            {
                if (ExperimentRules.Overlap(config.Experiments[i].Scope, config.Experiments[j].Scope, config.KeyTeams) is { } overlap)
                {
                    errors.Add($"Experiments '{config.Experiments[i].Name}' and '{config.Experiments[j].Name}' both run on {overlap}; only one experiment may run per scope.");
                }
            }
        }

        return [.. compiled];
    }

    public static string UnitName(AssignmentUnitKind unit) => unit switch
    {
        AssignmentUnitKind.ApiKey => "API key",
        AssignmentUnitKind.User => "end user",
        _ => "conversation",
    };
}
