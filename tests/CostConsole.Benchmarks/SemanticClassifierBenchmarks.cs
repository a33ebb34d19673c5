using System.Globalization;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks;

/// <summary>
/// The offline semantic classifier deciding one request, with 50 example prompts per tier (150 in all).
/// Two jobs: "batched" times many calls per iteration (precise mean, allocation); "per-call" times every call
/// on its own, so its percentiles are the per-request latency distribution (timer overhead included).
/// </summary>
[Config(typeof(LatencyConfig))]
public class SemanticClassifierBenchmarks
{
    private ITierClassifier _classifier = null!;
    private ChatRequest _request = null!;

    [Params(200, 2000)]
    public int PromptLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var snapshot = SnapshotCompiler.Compile(Config(ExamplePrompts.PerTier(50)));
        _classifier = snapshot.Classifier;
        var body = JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = ExamplePrompts.Prompt(PromptLength) } } });
        _request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance);
        if (_classifier.Name != "semantic" || !_classifier.ClassifyAsync(_request, default).IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("The semantic classifier did not compile or did not decide synchronously.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _request.Dispose();

    [Benchmark]
    public string Classify() => _classifier.ClassifyAsync(_request, default).Result.Tier;

    private static RoutingConfig Config(IReadOnlyDictionary<string, IReadOnlyList<string>> examples) =>
        BenchmarkCatalogue.Config(new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = new() { Examples = examples, Vectoriser = Vectoriser.HashedTfIdf } });

    private sealed class LatencyConfig : ManualConfig
    {
        public LatencyConfig()
        {
            AddJob(Job.Default.WithId("batched"));
            AddJob(Job.Default.WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(200).WithIterationCount(3000).WithId("per-call"));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max);
            AddDiagnoser(MemoryDiagnoser.Default);
        }
    }

    /// <summary>BenchmarkDotNet's built-in percentile columns stop at P95; the target is stated as p99.</summary>
    private sealed class PercentileColumn(int percentile) : IColumn
    {
        public string Id => "P" + percentile;

        public string ColumnName => "P" + percentile;

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => percentile;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Time;

        public string Legend => $"{percentile}th percentile of the measured iterations (per call in the per-call job)";

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            if (statistics is null)
            {
                return "NA";
            }

            var nanoseconds = statistics.Percentiles.Percentile(percentile);
            return nanoseconds >= 1_000_000
                ? (nanoseconds / 1_000_000).ToString("0.000 'ms'", CultureInfo.InvariantCulture)
                : (nanoseconds / 1_000).ToString("0.00 'μs'", CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>Deterministic support-desk prompts: short questions, writing tasks and analysis requests.</summary>
internal static class ExamplePrompts
{
    private static readonly string[] SmallTemplates =
    [
        "How do I {0} my {1}?", "Where is my {1}?", "Can I {0} my {1} online?", "What is the status of my {1}?", "Why can't I {0} my {1}?",
    ];

    private static readonly string[] SmallVerbs = ["reset", "change", "cancel", "update", "track", "renew", "download", "find", "verify", "close"];

    private static readonly string[] SmallNouns = ["password", "parcel", "order", "invoice", "subscription", "account", "address", "card", "plan", "delivery"];

    private static readonly string[] MediumTemplates =
    [
        "Summarise this {1} in three bullet points.", "Rewrite this {1} in a {0} tone.", "Draft a {0} reply to this {1}.",
        "Translate this {1} into French and keep it {0}.", "Write a short {0} {1} for our newsletter.",
    ];

    private static readonly string[] MediumAdjectives = ["friendly", "formal", "concise", "warm", "polite", "clear", "upbeat", "neutral", "persuasive", "brief"];

    private static readonly string[] MediumNouns = ["email", "paragraph", "complaint", "announcement", "message", "review", "description", "memo", "post", "note"];

    private static readonly string[] LargeTemplates =
    [
        "Analyse our {1} data and explain step by step why {0} changed.", "Compare three {1} strategies and recommend one, with the trade-offs for {0}.",
        "Write a Python function that computes {0} from the {1} export, with unit tests.", "Design a {1} schema that tracks {0} and justify each choice.",
        "Build a forecast of {0} from last year's {1} with scenario analysis.",
    ];

    private static readonly string[] LargeMetrics = ["churn", "retention", "revenue", "conversion", "margin", "latency", "cost per ticket", "refund rate", "lifetime value", "backlog"];

    private static readonly string[] LargeNouns = ["billing", "pricing", "support", "sales", "database", "warehouse", "marketing", "infrastructure", "subscription", "cohort"];

    public static IReadOnlyDictionary<string, IReadOnlyList<string>> PerTier(int count) => new Dictionary<string, IReadOnlyList<string>>
    {
        ["small"] = Generate(count, SmallTemplates, SmallVerbs, SmallNouns, seed: 1),
        ["medium"] = Generate(count, MediumTemplates, MediumAdjectives, MediumNouns, seed: 2),
        ["large"] = Generate(count, LargeTemplates, LargeMetrics, LargeNouns, seed: 3),
    };

    /// <summary>A prompt of exactly <paramref name="length"/> characters mixing the three kinds, as a long real message would.</summary>
    public static string Prompt(int length)
    {
        var random = new Random(7);
        var text = new StringBuilder();
        while (text.Length < length)
        {
            var (templates, first, second) = random.Next(3) switch
            {
                0 => (SmallTemplates, SmallVerbs, SmallNouns),
                1 => (MediumTemplates, MediumAdjectives, MediumNouns),
                _ => (LargeTemplates, LargeMetrics, LargeNouns),
            };
            text.Append(string.Format(CultureInfo.InvariantCulture, templates[random.Next(templates.Length)], first[random.Next(first.Length)], second[random.Next(second.Length)])).Append(' ');
        }

        return text.ToString(0, length);
    }

    private static string[] Generate(int count, string[] templates, string[] first, string[] second, int seed)
    {
        var random = new Random(seed);
        var prompts = new HashSet<string>(StringComparer.Ordinal);
        while (prompts.Count < count)
        {
            prompts.Add(string.Format(CultureInfo.InvariantCulture, templates[random.Next(templates.Length)], first[random.Next(first.Length)], second[random.Next(second.Length)]));
        }

        return [.. prompts];
    }
}
