using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CostConsole.Routing.Providers;

namespace CostConsole.Benchmarks.Gateway;

/// <summary>
/// A whole <c>/v1/chat/completions</c> request (in-memory HTTP, the shipped default router, a budget, the durable
/// ledger, an in-process upstream) and each of its stages on their own, with the memory diagnoser: the bytes
/// allocated per request and per stage are the figures that guard the hot path, since they hold on a busy machine.
/// <c>stages</c> mode (<see cref="StageBreakdown"/>) gives the same breakdown in CPU time.
/// </summary>
[Config(typeof(Config))]
public class ChatCompletionsBenchmarks
{
    private GatewayUnderTest _gateway = null!;

    [GlobalSetup]
    public void Setup()
    {
        _gateway = new GatewayUnderTest();
        _gateway.StartAsync().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup() => _gateway.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "whole request")]
    public Task WholeRequest() => _gateway.SendAsync();

    [Benchmark(Description = "pipeline alone")]
    public Task Pipeline() => _gateway.Pipeline.CompleteAsync(_gateway.Request, _gateway.NewCaller(), CancellationToken.None);

    [Benchmark(Description = "parse")]
    public void Parse() => _gateway.Parse();

    [Benchmark(Description = "decide")]
    public ValueTask<CostConsole.Routing.Decisions.RoutingDecision> Decide() => _gateway.DecideAsync();

    [Benchmark(Description = "budget admit + settle")]
    public ValueTask AdmitAndSettle() => _gateway.AdmitAndSettleAsync();

    [Benchmark(Description = "upstream call")]
    public Task<UpstreamReply> UpstreamCall() => _gateway.CallUpstreamAsync();

    [Benchmark(Description = "upstream body (model rewritten)")]
    public BinaryData UpstreamBody() => CostConsole.Routing.Providers.UpstreamBody.Create(_gateway.Request, _gateway.Decision.Model.Model.Id);

    [Benchmark(Description = "prompt hash (ledger row)")]
    public string PromptHash() => _gateway.Request.PromptHash();

    [Benchmark(Description = "response write")]
    public Task WriteResponse() => _gateway.WriteResponseAsync();

    [Benchmark(Description = "ledger row")]
    public ValueTask Ledger() => _gateway.RecordAsync();

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // In-process: on a busy shared machine, building a separate benchmark project can exceed its timeout.
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(6).WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250)).WithId("in-process"));
            AddDiagnoser(MemoryDiagnoser.Default);
        }
    }
}
