using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;

namespace CostConsole.Benchmarks;

/// <summary>The three-tier catalogue the benchmarks decide over: one simulated model per tier, no prices.</summary>
internal static class BenchmarkCatalogue
{
    public static RoutingConfig Config(ClassifierDefinition? classifier = null) => new()
    {
        Tiers = ["small", "medium", "large"],
        Providers = [new ProviderEndpoint("sim", "/sim/v1", null, TimeSpan.FromSeconds(30))],
        Models =
        [
            new CatalogueModel("nano", "sim", "Nano", "small", 128_000, ModelCapabilities.None),
            new CatalogueModel("mini", "sim", "Mini", "medium", 128_000, ModelCapabilities.None),
            new CatalogueModel("big", "sim", "Big", "large", 128_000, ModelCapabilities.None),
        ],
        Prices = [],
        Mapping = new TierMappingDefinition("default", new Dictionary<string, IReadOnlyList<string>>
        {
            ["small"] = ["nano"],
            ["medium"] = ["mini"],
            ["large"] = ["big"],
        }),
        RuleSet = classifier is null ? new RuleSetDefinition { DefaultTier = "medium" } : new RuleSetDefinition { DefaultTier = "medium", Classifier = classifier },
    };
}
