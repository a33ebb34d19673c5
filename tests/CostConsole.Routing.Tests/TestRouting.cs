using System.Text;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

/// <summary>A small catalogue like the seeded one: three simulated models, one per tier.</summary>
internal static class TestRouting
{
    public static readonly DateTimeOffset PriceStart = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static RoutingConfig Config(IReadOnlyList<RuleDefinition> rules, string defaultTier = "medium") => new()
    {
        Tiers = ["small", "medium", "large"],
        Providers = [new ProviderEndpoint("sim", "/sim/v1", null, TimeSpan.FromSeconds(30)), new ProviderEndpoint("backup", "http://127.0.0.1:9/v1", "k", TimeSpan.FromSeconds(5))],
        Models =
        [
            new CatalogueModel("nano", "sim", "Nano", "small", 128_000, ModelCapabilities.Tools),
            new CatalogueModel("mini", "sim", "Mini", "medium", 128_000, ModelCapabilities.Tools),
            new CatalogueModel("big", "sim", "Big", "large", 128_000, ModelCapabilities.Tools),
            new CatalogueModel("big-backup", "backup", "Big backup", "large", 128_000, ModelCapabilities.None),
        ],
        Prices =
        [
            new ModelPrice("sim/nano", PriceStart, 0.10m, 0.025m, 0.40m),
            new ModelPrice("sim/mini", PriceStart, 0.40m, 0.10m, 1.60m),
            new ModelPrice("sim/big", PriceStart, 2.00m, 0.50m, 8.00m),
            new ModelPrice("backup/big-backup", PriceStart, 1.00m, null, 4.00m),
        ],
        Mapping = new TierMappingDefinition("default", new Dictionary<string, IReadOnlyList<string>>
        {
            ["small"] = ["nano"],
            ["medium"] = ["mini"],
            ["large"] = ["big", "big-backup"],
        }),
        RuleSet = new RuleSetDefinition { Rules = rules, DefaultTier = defaultTier },
        RuleSetVersion = 7,
    };

    public static RoutingSnapshot Snapshot(params RuleDefinition[] rules) => SnapshotCompiler.Compile(Config(rules), PriceStart.AddDays(1));

    public static RuleDefinition Rule(string name, string tier, params RuleCondition[] conditions) =>
        new() { Name = name, Conditions = conditions, Action = RuleAction.ToTier(tier) };

    public static ChatRequest Request(string userText, string model = "auto", string? extraJson = null, string? tags = null, string? system = null)
    {
        var messages = new StringBuilder("[");
        if (system is not null)
        {
            messages.Append($$"""{"role":"system","content":{{Json(system)}}},""");
        }

        messages.Append($$"""{"role":"user","content":{{Json(userText)}}}]""");
        var body = $$"""{"model":{{Json(model)}},"messages":{{messages}}{{(extraJson is null ? "" : "," + extraJson)}}}""";
        return ChatRequestParser.Parse(Encoding.UTF8.GetBytes(body), tags, O200kTokenCounter.Instance);
    }

    public static ChatRequest Raw(string json, string? tags = null) =>
        ChatRequestParser.Parse(Encoding.UTF8.GetBytes(json), tags, O200kTokenCounter.Instance);

    public static RoutingDecision Decide(RoutingSnapshot snapshot, ChatRequest request)
    {
        using (request)
        {
            return snapshot.DecideAsync(request).AsTask().GetAwaiter().GetResult();
        }
    }

    private static string Json(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
