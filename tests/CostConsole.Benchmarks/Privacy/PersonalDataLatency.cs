using System.Diagnostics;
using System.Globalization;
using CostConsole.Routing.Privacy;

namespace CostConsole.Benchmarks.Privacy;

/// <summary>Times single personal-data scans of a 2,000-character prompt one by one and reports their percentiles.</summary>
internal static class PersonalDataLatency
{
    private const int WarmupCalls = 20_000;
    private const int SampledCalls = 100_000;

    public static void Run()
    {
        var detector = PersonalDataPrompts.Detector();
        Console.WriteLine($"Personal-data scan, {PersonalDataPrompts.Length}-character prompt, built-in detectors + 1 pattern; {SampledCalls:N0} calls after {WarmupCalls:N0} warm-up calls");
        Console.WriteLine();
        Console.WriteLine("| Prompt | found | p50 (µs) | p90 (µs) | p99 (µs) | p99.9 (µs) | max (µs) | gen0 GCs |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (name, prompt) in new[] { ("with personal data", PersonalDataPrompts.WithPersonalData), ("without personal data", PersonalDataPrompts.WithoutPersonalData) })
        {
            var found = detector.Scan(prompt).Summary;
            for (var i = 0; i < WarmupCalls; i++)
            {
                GC.KeepAlive(detector.Scan(prompt));
            }

            var ticks = new long[SampledCalls];
            var gen0 = GC.CollectionCount(0);
            for (var i = 0; i < SampledCalls; i++)
            {
                var start = Stopwatch.GetTimestamp();
                GC.KeepAlive(detector.Scan(prompt));
                ticks[i] = Stopwatch.GetTimestamp() - start;
            }

            gen0 = GC.CollectionCount(0) - gen0;
            Array.Sort(ticks);
            var toMicroseconds = 1_000_000.0 / Stopwatch.Frequency;
            double At(double fraction) => ticks[Math.Min(ticks.Length - 1, (int)Math.Ceiling(fraction * ticks.Length) - 1)] * toMicroseconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {(found.Length == 0 ? "none" : found)} | {At(0.5):F2} | {At(0.9):F2} | {At(0.99):F2} | {At(0.999):F2} | {ticks[^1] * toMicroseconds:F2} | {gen0} |"));
        }
    }
}
