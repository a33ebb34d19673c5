using System.Diagnostics;
using System.Globalization;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks.Routing;

/// <summary>
/// Times single routing decisions one by one and reports their percentiles. BenchmarkDotNet's percentiles
/// are of iteration means, which hide the tail a per-request p99 target is about (GC pauses, cache misses).
/// </summary>
internal static class DecisionLatency
{
    private const int WarmupCalls = 50_000;
    private const int SampledCalls = 200_000;
    private const int Rounds = 3;

    public static void Run()
    {
        Console.WriteLine($"Per-call latency, {SupportWorkload.RuleCount} rules, {SupportWorkload.Ticket.Length}-character ticket; " +
            $"{Rounds} rounds of {SampledCalls:N0} calls after {WarmupCalls:N0} warm-up calls; server GC: {System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine();
        Console.WriteLine("| Case | Round | p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) | max (µs) | mean (µs) | gen0 GCs | regex timeouts |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
        var summary = new List<string>();
        foreach (var outcome in Enum.GetValues<RuleOutcome>())
        {
            var snapshot = SupportWorkload.Compile(outcome == RuleOutcome.MiddleRuleFires);
            var body = SupportWorkload.RequestBody();
            using var parsed = ChatRequestParser.Parse(body, null, O200kTokenCounter.Instance);
            SupportWorkload.Check(snapshot, parsed, outcome);

            var cases = new (string Name, Func<RoutingDecision> Call)[]
            {
                ($"Decide / {outcome}", () => snapshot.DecideAsync(parsed).Result),
                ($"ParseAndDecide / {outcome}", () =>
                {
                    using var request = ChatRequestParser.Parse(body, null, O200kTokenCounter.Instance);
                    return snapshot.DecideAsync(request).Result;
                }),
            };

            foreach (var (name, call) in cases)
            {
                var p99s = new List<double>();
                for (var round = 1; round <= Rounds; round++)
                {
                    var (percentiles, gcs, timeouts) = Sample(call);
                    p99s.Add(percentiles.P99);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {name} | {round} | {percentiles.P50:F2} | {percentiles.P90:F2} | {percentiles.P99:F2} | {percentiles.P999:F2} | {percentiles.Max:F2} | {percentiles.Mean:F2} | {gcs} | {timeouts} |"));
                }

                p99s.Sort();
                summary.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: median p99 {p99s[p99s.Count / 2]:F2} µs (target < 50 µs)"));
            }
        }

        Console.WriteLine();
        summary.ForEach(Console.WriteLine);
    }

    /// <summary>Also counts decisions noting a regex timeout: the timeout is wall-clock, so a thread descheduled mid-match hits it.</summary>
    private static (Percentiles Percentiles, int Gen0, int RegexTimeouts) Sample(Func<RoutingDecision> call)
    {
        for (var i = 0; i < WarmupCalls; i++)
        {
            GC.KeepAlive(call());
        }

        var ticks = new long[SampledCalls];
        var timeouts = 0;
        var gen0 = GC.CollectionCount(0);
        for (var i = 0; i < SampledCalls; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var decision = call();
            ticks[i] = Stopwatch.GetTimestamp() - start;
            if (decision.Notes.Count > 0)
            {
                timeouts++;
            }
        }

        gen0 = GC.CollectionCount(0) - gen0;
        Array.Sort(ticks);
        var toMicroseconds = 1_000_000.0 / Stopwatch.Frequency;
        double At(double fraction) => ticks[Math.Min(ticks.Length - 1, (int)Math.Ceiling(fraction * ticks.Length) - 1)] * toMicroseconds;
        return (new Percentiles(At(0.50), At(0.90), At(0.99), At(0.999), ticks[^1] * toMicroseconds, ticks.Average() * toMicroseconds), gen0, timeouts);
    }

    private readonly record struct Percentiles(double P50, double P90, double P99, double P999, double Max, double Mean);
}
