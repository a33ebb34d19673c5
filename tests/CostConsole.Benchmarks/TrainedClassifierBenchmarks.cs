using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks;

/// <summary>
/// A whole routing decision by the shipped trained router (no rules, no embeddings): feature extraction, three
/// logistic heads and the quality-target policy, for 50-, 500- and 2,000-character prompts. The per-call job
/// times every call on its own, so its percentiles are per-decision latencies (timer overhead included).
/// </summary>
[Config(typeof(Config))]
public class TrainedClassifierBenchmarks
{
    private RoutingSnapshot _snapshot = null!;
    private ChatRequest _request = null!;

    [Params(50, 500, 2000)]
    public int PromptLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _snapshot = SnapshotCompiler.Compile(RoutingConfig());
        var body = JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = ExamplePrompts.Prompt(PromptLength)[..PromptLength] } } });
        _request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance);
        var decision = _snapshot.DecideAsync(_request);
        if (!decision.IsCompletedSuccessfully || decision.Result.Classifier != "trained")
        {
            throw new InvalidOperationException("The trained classifier did not decide synchronously.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _request.Dispose();

    [Benchmark]
    public string Decide() => _snapshot.DecideAsync(_request).Result.Tier;

    private static RoutingConfig RoutingConfig() =>
        BenchmarkCatalogue.Config(new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = ShippedModels.Support } });

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // In-process: on a busy shared machine, building a separate benchmark project can exceed its timeout.
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(500).WithIterationCount(5000).WithId("per-call"));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max);
            AddDiagnoser(MemoryDiagnoser.Default);
        }
    }
}
