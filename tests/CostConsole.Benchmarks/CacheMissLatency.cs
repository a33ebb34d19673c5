using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CostConsole.Benchmarks;

/// <summary>
/// Single-call percentiles of the cache's miss path (<see cref="CacheMissBenchmarks"/>) at 10,000 and 100,000 entries,
/// timed with a stopwatch and no forced collection between calls (BenchmarkDotNet's per-call job forces a full
/// collection per iteration, which takes seconds with 100,000 vectors on the heap). Beside wall time it reports the
/// calling thread's CPU time per call (Linux), which leaves out the time a loaded machine kept the thread waiting.
/// </summary>
internal static partial class CacheMissLatency
{
    private const int ThreadCpuClock = 3;

    public static void Run(int calls, bool realEmbeddings)
    {
        Console.WriteLine(realEmbeddings ? "vectors: MiniLM embeddings of support questions (20,000 distinct, repeated past that)" : "vectors: random unit vectors");
        foreach (var entries in new[] { 10_000, 100_000 })
        {
            var bench = new CacheMissBenchmarks { Entries = entries, RealEmbeddings = realEmbeddings };
            bench.Setup();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"memory per entry {entries,7:N0}: entry {bench.EntryBytes} B, cache structures {bench.CacheBytes} B"));
            Report($"lookup (miss path) {entries,7:N0}", calls, () => bench.Lookup());
            var index = bench.Index;
            var (scanned, past, reranked) = (index.Scanned, index.PastPrefilter, index.Reranked);
            Report($"search alone       {entries,7:N0}", calls, () => bench.Search());
            var searched = index.Scanned - scanned;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  search alone pruning at threshold 0.9: {1 - ((index.PastPrefilter - past) / (double)searched):P2} of entries skipped by the projection bound, {(index.Reranked - reranked) / (double)searched:P3} reranked in float"));
            (scanned, past, reranked) = (index.Scanned, index.PastPrefilter, index.Reranked);
            var hits = bench.SearchStoredQuestion();
            Report($"search, stored q.  {entries,7:N0}", calls, () => bench.SearchStoredQuestion());
            searched = index.Scanned - scanned;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  search for a stored question ({hits} hits): {1 - ((index.PastPrefilter - past) / (double)searched):P2} of entries skipped by the projection bound, {(index.Reranked - reranked) / (double)searched:P3} reranked in float"));
            var refit = Stopwatch.StartNew();
            var refitCpu = Process.GetCurrentProcess().TotalProcessorTime;
            index.Refit();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  a full refit of {entries:N0} entries (eigendecomposition and projection; the cache runs it on the thread pool): wall {refit.Elapsed.TotalSeconds:0.00} s, process CPU {(Process.GetCurrentProcess().TotalProcessorTime - refitCpu).TotalSeconds:0.00} s"));
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
        var cpu = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var cpuStarted = ThreadCpuMilliseconds();
            var started = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            cpu[i] = ThreadCpuMilliseconds() - cpuStarted;
        }

        Array.Sort(times);
        Array.Sort(cpu);
        double P(double[] of, double q) => of[Math.Min(calls - 1, (int)(q * calls))];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: p50 {P(times, 0.50):0.000} ms  p99 {P(times, 0.99):0.000} ms  max {times[^1]:0.000} ms  | thread CPU p50 {P(cpu, 0.50):0.000} ms  p99 {P(cpu, 0.99):0.000} ms  ({calls} calls)"));
    }

    private static double ThreadCpuMilliseconds() =>
        OperatingSystem.IsLinux() && ClockGetTime(ThreadCpuClock, out var t) == 0 ? (t.Seconds * 1e3) + (t.Nanoseconds / 1e6) : double.NaN;

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
