using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks.Routing;

/// <summary>
/// What a running experiment adds to a decision: the support ticket (rule #100 fires) decided without any
/// experiment, and with a 50/50 experiment on all traffic that enrols it by conversation.
/// </summary>
[Config(typeof(Columns))]
[MemoryDiagnoser]
public class ExperimentAssignmentBenchmarks
{
    private static readonly AssignmentUnit Unit = new(42, null, "cust-4821", "conversation-7f3a");

    private RoutingSnapshot _plain = null!;
    private RoutingSnapshot _experiment = null!;
    private ChatRequest _parsed = null!;

    [GlobalSetup]
    public void Setup()
    {
        var config = SupportWorkload.Config(SupportWorkload.Rules(middleRuleFires: true));
        _plain = SnapshotCompiler.Compile(config, SupportWorkload.PriceStart.AddDays(1));
        _experiment = SnapshotCompiler.Compile(config with
        {
            Experiments =
            [
                new ExperimentDefinition(1, "bench", "5f1e", AssignmentUnitKind.Conversation, ExperimentScope.All,
                [
                    new ExperimentArmDefinition("control", 50, config.Mapping),
                    new ExperimentArmDefinition("variant", 50, config.Mapping with { Name = "variant" }),
                ]),
            ],
        }, SupportWorkload.PriceStart.AddDays(1));
        _parsed = ChatRequestParser.Parse(SupportWorkload.RequestBody(), null, O200kTokenCounter.Instance);
        if (_experiment.DecideAsync(_parsed, Unit).AsTask().GetAwaiter().GetResult().ExperimentId != 1)
        {
            throw new InvalidOperationException("The request was not enrolled; the benchmark would measure the wrong thing.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _parsed.Dispose();

    [Benchmark(Baseline = true)]
    public RoutingDecision NoExperiment() => _plain.DecideAsync(_parsed, Unit).Result;

    [Benchmark]
    public RoutingDecision Enrolled() => _experiment.DecideAsync(_parsed, Unit).Result;

    private sealed class Columns : ManualConfig
    {
        public Columns() => AddColumn(StatisticColumn.Median, StatisticColumn.P95);
    }
}
