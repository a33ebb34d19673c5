using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks;

/// <summary>
/// What a trained model in shadow adds to a routing decision the trained classifier makes: the same decision with
/// and without a second trained model deciding beside it (its scores, policy and reason), for 50-, 500- and
/// 2,000-character prompts. Per-call job, so the percentiles are per-decision latencies.
/// </summary>
[Config(typeof(Config))]
public class ShadowDecisionBenchmarks
{
    private RoutingSnapshot _snapshot = null!;
    private ChatRequest _request = null!;

    [Params(50, 500, 2000)]
    public int PromptLength { get; set; }

    [Params(false, true)]
    public bool Shadow { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var trained = new TrainedClassifierDefinition { Model = ShippedModels.Support };
        var config = BenchmarkCatalogue.Config(new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = trained });
        _snapshot = SnapshotCompiler.Compile(config with { Shadow = Shadow ? trained with { QualityTarget = 0.8 } : null });
        var body = JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = ExamplePrompts.Prompt(PromptLength)[..PromptLength] } } });
        _request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance);
        var decision = _snapshot.DecideAsync(_request);
        if (!decision.IsCompletedSuccessfully || decision.Result.Classifier != "trained" || (decision.Result.Shadow is { Failed: false }) != Shadow)
        {
            throw new InvalidOperationException("The trained classifier (and its shadow) did not decide synchronously.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _request.Dispose();

    [Benchmark]
    public string Decide() => _snapshot.DecideAsync(_request).Result.Tier;

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(300).WithIterationCount(3000).WithId("per-call"));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max);
            AddDiagnoser(MemoryDiagnoser.Default);
        }
    }
}
