using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Decisions;

/// <summary>A tier mapping: for each tier, the models serving it in fallback order (model id or provider/id).</summary>
public sealed record TierMappingDefinition(string Name, IReadOnlyDictionary<string, IReadOnlyList<string>> Tiers);

/// <summary>Everything a routing snapshot is compiled from. Loaded from the database and configuration.</summary>
public sealed record RoutingConfig
{
    /// <summary>Tier names from the cheapest to the most capable.</summary>
    public required IReadOnlyList<string> Tiers { get; init; }

    public required IReadOnlyList<ProviderEndpoint> Providers { get; init; }

    public required IReadOnlyList<CatalogueModel> Models { get; init; }

    public required IReadOnlyList<ModelPrice> Prices { get; init; }

    public required TierMappingDefinition Mapping { get; init; }

    public required RuleSetDefinition RuleSet { get; init; }

    public int RuleSetVersion { get; init; }

    /// <summary>The model every request's baseline cost is priced at; default: the most expensive model of the top tier.</summary>
    public string? BaselineModel { get; init; }

    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(25);

    /// <summary>The running experiments; each arm's mapping replaces <see cref="Mapping"/> for the requests it gets.</summary>
    public IReadOnlyList<ExperimentDefinition> Experiments { get; init; } = [];

    /// <summary>Stored trained router models by "name@version"; shipped models are found without being listed here.</summary>
    public IReadOnlyDictionary<string, Learning.TrainedRouterModel> TrainedModels { get; init; } = new Dictionary<string, Learning.TrainedRouterModel>();

    /// <summary>A stored or shipped trained model to run in shadow beside the classifier (its model must be in <see cref="TrainedModels"/> unless shipped).</summary>
    public TrainedClassifierDefinition? Shadow { get; init; }

    /// <summary>The admin's own kinds of personal data (national IDs, customer numbers), detected with the built-in ones.</summary>
    public IReadOnlyList<Privacy.PersonalDataPattern> PersonalDataPatterns { get; init; } = [];

    /// <summary>The team of each API key that has one, for experiments scoped to teams.</summary>
    public IReadOnlyDictionary<long, string> KeyTeams { get; init; } = new Dictionary<long, string>();
}

public sealed class RoutingConfigException(IReadOnlyList<string> errors)
    : Exception("The routing configuration is not valid: " + string.Join("; ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
