using BenchmarkDotNet.Running;
using CostConsole.Benchmarks.Routing;

// "latency" times single routing decisions (true per-call percentiles); anything else goes to BenchmarkDotNet.
if (args is ["latency", ..])
{
    DecisionLatency.Run();
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
