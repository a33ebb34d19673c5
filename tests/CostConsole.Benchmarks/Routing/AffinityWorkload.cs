using System.Diagnostics;
using System.Globalization;
using System.Text;
using CostConsole.Routing.Affinity;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using CostConsole.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Benchmarks.Routing;

/// <summary>
/// A conversation workload through the simulator (served on a loopback port, called over HTTP by the router's own
/// invoker), with and without conversation affinity: cost per conversation, the cache-read share of input tokens and
/// how many models a conversation touched. Each conversation carries its own long system prompt (a customer record of
/// about 1,500 tokens), which the simulator caches per model from its second sight, as providers do.
/// </summary>
internal static class AffinityWorkload
{
    private const string Key = "bench-simulator-key";

    // Simple questions go to small, billing ones to large, the rest to the default tier (medium).
    private static readonly string[] Turns =
    [
        "Where is my order? What is the tracking number?",
        "Why does my invoice show two charges for the same month?",
        "Can you summarise what we agreed so far?",
        "What is the status of my refund?",
        "Explain the invoice adjustment and whether the credit note covers it.",
        "Thanks. What is the delivery status now?",
    ];

    public static async Task RunAsync(string[] args)
    {
        var conversations = args is [var n, ..] ? int.Parse(n, CultureInfo.InvariantCulture) : 200;
        Console.WriteLine($"{conversations} conversations × {Turns.Length} turns, 30 s apart, through the simulator");
        Console.WriteLine("| Affinity | Cost per conversation | Cache-read share of input | Cold turns per conversation | Models per conversation | Recorded cold-cache cost per conversation |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (label, enabled, hardBilling) in new[] { ("off", false, false), ("on (5 min window)", true, false), ("on, billing rule marked hard", true, true) })
        {
            var result = await RunOnceAsync(conversations, enabled, hardBilling);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {label} | ${result.Cost / conversations:0.000000} | {result.Cached * 100.0 / result.Prompt:0.0} % | {result.ColdTurns / (double)conversations:0.00} | {result.Models / (double)conversations:0.00} | ${result.ColdCost / conversations:0.000000} |"));
        }
    }

    private static async Task<(decimal Cost, long Prompt, long Cached, int Models, decimal ColdCost, int ColdTurns)> RunOnceAsync(int conversations, bool affinityOn, bool hardBilling)
    {
        // A fresh simulator per run, so neither run finds the other's prompts in its cache.
        await using var simulator = SimulatorServer.Build(Key, ["--urls", "http://127.0.0.1:0", "--CostConsole:Simulator:LatencyScale=0", "--Logging:LogLevel:Default=Warning"]);
        await simulator.StartAsync();
        var address = simulator.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        var state = new RoutingState();
        state.Publish(SnapshotCompiler.Compile(Config(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + SimulatorServer.Prefix, hardBilling), Start));
        var ledger = new NoLedger();
        var invoker = UpstreamInvokers.Create(new NoLocalServer(), O200kTokenCounter.Instance);
        var affinity = new ConversationAffinity(new ConversationAffinityOptions { Enabled = affinityOn });
        var pipeline = new ChatPipeline(state, invoker, ledger, O200kTokenCounter.Instance, affinity: affinity);

        decimal cost = 0, coldCost = 0;
        long prompt = 0, cached = 0;
        var models = 0;
        var coldTurns = 0;
        for (var c = 0; c < conversations; c++)
        {
            var id = $"conv-{c}";
            var system = CustomerRecord(c);
            var history = new List<(string Role, string Text)>();
            var touched = new HashSet<string>(StringComparer.Ordinal);
            for (var t = 0; t < Turns.Length; t++)
            {
                // Each conversation starts at a different point of the script, so first turns land on every tier.
                var question = Turns[(t + c) % Turns.Length];
                history.Add(("user", question));
                using var request = Request(system, history);
                var at = Start.AddHours(c).AddSeconds(30 * t);
                var outcome = await pipeline.CompleteAsync(request, new CallerContext($"req-{c}-{t}", null, at, Stopwatch.GetTimestamp(), false, ConversationId: id), CancellationToken.None);
                if (!outcome.IsSuccess)
                {
                    throw new InvalidOperationException($"Turn {t} of {id} failed: {outcome.Error!.Message}");
                }

                cost += outcome.Cost;
                coldCost += outcome.ColdCacheCost;
                prompt += outcome.Usage.PromptTokens;
                cached += outcome.Usage.CachedPromptTokens;
                coldTurns += outcome.Usage.CachedPromptTokens == 0 ? 1 : 0;
                touched.Add(outcome.Model!.Key);
                history.Add(("assistant", ResponseInspector.Inspect(outcome.Body!.ToMemory().Span).Content ?? ""));
            }

            models += touched.Count;
        }

        await simulator.StopAsync();
        return (cost, prompt, cached, models, coldCost, coldTurns);
    }

    private static readonly DateTimeOffset Start = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static RoutingConfig Config(string baseUrl, bool hardBilling) => new()
    {
        Tiers = ["small", "medium", "large"],
        Providers = [new ProviderEndpoint("sim", baseUrl, Key, TimeSpan.FromSeconds(30))],
        Models =
        [
            new CatalogueModel("gpt-4.1-nano", "sim", "GPT-4.1 nano", "small", 1_000_000, ModelCapabilities.None),
            new CatalogueModel("gpt-4.1-mini", "sim", "GPT-4.1 mini", "medium", 1_000_000, ModelCapabilities.None),
            new CatalogueModel("gpt-4.1", "sim", "GPT-4.1", "large", 1_000_000, ModelCapabilities.None),
        ],

        // OpenAI's list prices per 1M tokens: input, cached input, output.
        Prices =
        [
            new ModelPrice("sim/gpt-4.1-nano", Start.AddYears(-1), 0.10m, 0.025m, 0.40m),
            new ModelPrice("sim/gpt-4.1-mini", Start.AddYears(-1), 0.40m, 0.10m, 1.60m),
            new ModelPrice("sim/gpt-4.1", Start.AddYears(-1), 2.00m, 0.50m, 8.00m),
        ],
        Mapping = new TierMappingDefinition("default", new Dictionary<string, IReadOnlyList<string>>
        {
            ["small"] = ["gpt-4.1-nano"],
            ["medium"] = ["gpt-4.1-mini"],
            ["large"] = ["gpt-4.1"],
        }),
        RuleSet = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Rules =
            [
                new RuleDefinition { Name = "billing", Conditions = [new KeywordCondition(KeywordMatch.Any, ["invoice", "refund"])], Action = RuleAction.ToTier("large"), Hard = hardBilling },
                new RuleDefinition { Name = "status", Conditions = [new KeywordCondition(KeywordMatch.Any, ["tracking", "status"])], Action = RuleAction.ToTier("small") },
            ],
        },
    };

    /// <summary>About 1,500 tokens of customer context, different for every conversation.</summary>
    private static string CustomerRecord(int conversation)
    {
        var text = new StringBuilder($"You are the support assistant of Contoso. Customer record #{conversation:D6}. ");
        for (var i = 0; i < 60; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"Order {conversation:D6}-{i:D2} was placed on day {i + 1} for {i * 3 + 7} units of item SKU-{(conversation * 31 + i) % 997:D3}, shipped by carrier {(i % 4) switch { 0 => "DHL", 1 => "UPS", 2 => "FedEx", _ => "PostNL" }}. ");
        }

        return text.ToString();
    }

    private static ChatRequest Request(string system, List<(string Role, string Text)> history)
    {
        var messages = new List<object> { new { role = "system", content = system } };
        messages.AddRange(history.Select(h => (object)new { role = h.Role, content = h.Text }));
        var body = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new { model = "auto", messages });
        return ChatRequestParser.Parse(body, null, O200kTokenCounter.Instance);
    }

    private sealed class NoLedger : ILedger
    {
        public ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }

    private sealed class NoLocalServer : ILocalServerAddress
    {
        public Uri BaseAddress => new("http://127.0.0.1:9/");
    }
}
