using System.Diagnostics;
using System.Globalization;

namespace CostConsole.Benchmarks;

/// <summary>
/// Single-call percentiles of the cache's miss path (<see cref="CacheMissBenchmarks"/>) at 10,000 and 100,000 entries,
/// timed with a stopwatch and no forced collection between calls (BenchmarkDotNet's per-call job forces a full
/// collection per iteration, which takes seconds with 100,000 vectors on the heap).
/// </summary>
internal static class CacheMissLatency
{
    public static void Run(int calls)
    {
        foreach (var entries in new[] { 10_000, 100_000 })
        {
            var bench = new CacheMissBenchmarks { Entries = entries };
            bench.Setup();
            Report($"lookup (miss path) {entries,7:N0}", calls, () => bench.Lookup());
            Report($"search alone       {entries,7:N0}", calls, () => bench.Search());
            bench.Cleanup();
        }
    }

    private static void Report(string name, int calls, Action call)
    {
        for (var i = 0; i < 20; i++)
        {
            call();
        }

        var times = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        Array.Sort(times);
        double P(double q) => times[Math.Min(calls - 1, (int)(q * calls))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: p50 {P(0.50):0.000} ms  p99 {P(0.99):0.000} ms  max {times[^1]:0.000} ms  ({calls} calls)"));
    }
}
