using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CostConsole.Routing.Escalation;

namespace CostConsole.Benchmarks;

/// <summary>
/// The arithmetic-consistency gate on a 10,000-character answer full of worked calculations, prose, dates, prices
/// and phone numbers. "per-call" times every call on its own, so its P99 is the per-answer tail the target is set on.
/// </summary>
[Config(typeof(Config))]
public class ArithmeticConsistencyBenchmarks
{
    private string _answer = "";

    [Params(10_000)]
    public int Characters { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string[] pieces =
        [
            "Thanks for reaching out. ",
            "For 7 seats at $12.50 each the monthly total is 7 × $12.50 = $87.50. ",
            "Prorated for 12 of 30 days: $87.50 × 12 / 30 = $35.00. ",
            "With 20% VAT: $35.00 × 1.2 = $42.00, due on 2026-01-15. ",
            "Call 555-123-4567 or quote order #12345-678 (version 2.1.3). ",
            "The discount is 15% of $200 = $30, so you pay (200 - 30) = 170. ",
            "Refunds take 5-10 business days; solve 2x + 3 = 7 for fun. ",
        ];
        var builder = new StringBuilder(Characters + 200);
        for (var i = 0; builder.Length < Characters; i++)
        {
            builder.Append(pieces[i % pieces.Length]);
        }

        _answer = builder.ToString(0, Characters);
        var report = ArithmeticConsistency.Check(_answer);
        if (report.Checked < 100 || !report.Consistent)
        {
            throw new InvalidOperationException($"The benchmark answer should hold many consistent calculations; checked {report.Checked}, slips {report.Slips.Count}.");
        }
    }

    [Benchmark]
    public int Check() => ArithmeticConsistency.Check(_answer).Checked;

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            // In process: a separate build per job does not finish in time on a small machine.
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithId("batched"));
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(200).WithIterationCount(2000).WithId("per-call"));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max);
            AddDiagnoser(MemoryDiagnoser.Default);
        }
    }
}
