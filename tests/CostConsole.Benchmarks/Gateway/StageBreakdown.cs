using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using CostConsole.Routing.Providers;

namespace CostConsole.Benchmarks.Gateway;

/// <summary>
/// Where a <c>/v1/chat/completions</c> request's CPU and allocations go (<c>stages [N]</c>): each stage of the
/// request run on its own, N calls per round, five rounds, against the same app instance as the whole request and a
/// bare forward (the same body posted straight to the in-process upstream through an <see cref="HttpClient"/>) measured
/// in the same run. CPU is the calling thread's CPU time for stages that complete on it, and the whole process's for
/// those that hand work to other threads (the ledger's writer, the HTTP stack); allocations likewise. Thread CPU leaves
/// out the time a busy machine kept the thread waiting, so the figures hold while other builds run; the ratios to the
/// whole request are what to compare across runs.
/// </summary>
internal static partial class StageBreakdown
{
    private const int ProcessCpuClock = 2;
    private const int ThreadCpuClock = 3;
    private const int Rounds = 5;

    public static async Task RunAsync(string[] options)
    {
        var calls = options is [var n, ..] ? int.Parse(n, CultureInfo.InvariantCulture) : 2_000;
        await using var gateway = new GatewayUnderTest();
        await gateway.StartAsync();

        using var bare = new HttpClient(gateway.Upstream, disposeHandler: false) { BaseAddress = new Uri("http://upstream.invalid/") };
        async Task Bare()
        {
            using var content = new ByteArrayContent(GatewayUnderTest.Body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await bare.PostAsync("v1/chat/completions", content);
            await response.Content.CopyToAsync(Stream.Null);
        }

        var rows = new List<(string Name, Figures Figures)>
        {
            ("whole request (HTTP in memory → pipeline → ledger)", Measure(calls, () => gateway.SendAsync())),
            ("pipeline alone (no HTTP: decide → admit → upstream → ledger)", Measure(calls, () => gateway.Pipeline.CompleteAsync(gateway.Request, gateway.NewCaller(), CancellationToken.None))),
            ("HTTP stack alone (GET /v1/models: same middleware and key check)", Measure(calls, () => gateway.ListModelsAsync())),
            ("parse (body → request, prompt tokens counted)", Measure(calls, () => { gateway.Parse(); return Task.CompletedTask; })),
            ("decide (seeded rule set + trained router)", Measure(calls, () => gateway.DecideAsync().AsTask())),
            ("budget admit + settle (one global budget)", Measure(calls, () => gateway.AdmitAndSettleAsync().AsTask())),
            ("upstream call (OpenAI client, in-process upstream)", Measure(calls, gateway.CallUpstreamAsync)),
            ("logprobs filter (an answer without logprobs, relayed as it came)", Measure(calls, () => { LogprobsFilter.Strip(InProcessUpstream.Completion); return Task.CompletedTask; })),
            ("response write (outcome headers + body)", Measure(calls, gateway.WriteResponseAsync)),
            ("ledger (one row, recorded and committed)", Measure(calls, () => gateway.RecordAsync().AsTask())),
            ("bare forward (HttpClient → in-process upstream)", Measure(calls, Bare)),
        };

        var whole = rows[0].Figures;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{calls:N0} calls × {Rounds} rounds per stage, median round; {Environment.ProcessorCount} cores, load average {LoadAverage()}"));
        Console.WriteLine();
        Console.WriteLine("| Stage | CPU µs / request | of the whole | clock | bytes allocated / request | of the whole |");
        Console.WriteLine("|---|---:|---:|---|---:|---:|");
        foreach (var (name, f) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {name} | {f.CpuMicroseconds:0.0} | {f.CpuMicroseconds / whole.CpuMicroseconds:0.00} | {(f.OnCallingThread ? "thread" : "process")} | {f.Bytes:N0} | {f.Bytes / whole.Bytes:0.00} |"));
        }
    }

    /// <summary>
    /// Sends <c>N</c> whole requests one after another and nothing else (<c>stages-loop N</c>), for a profiler to sample:
    /// <c>dotnet-trace collect --format speedscope -- dotnet CostConsole.Benchmarks.dll stages-loop 20000</c>.
    /// </summary>
    public static async Task LoopAsync(string[] options)
    {
        var calls = options is [var n, ..] ? int.Parse(n, CultureInfo.InvariantCulture) : 20_000;
        await using var gateway = new GatewayUnderTest();
        await gateway.StartAsync();
        for (var i = 0; i < calls; i++)
        {
            await gateway.SendAsync();
        }
    }

    /// <summary>Median of <see cref="Rounds"/> rounds of <paramref name="calls"/> sequential calls, after a warm-up round.</summary>
    private static Figures Measure(int calls, Func<Task> call)
    {
        // A stage that completes without leaving the calling thread is read on the thread; otherwise on the process.
        var onThread = true;
        for (var i = 0; i < Math.Max(200, calls / 2); i++)
        {
            var task = call();
            onThread &= task.IsCompleted;
            task.GetAwaiter().GetResult();
        }

        var rounds = new List<Figures>();
        for (var round = 0; round < Rounds; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var cpu = Cpu(onThread);
            var bytes = onThread ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < calls; i++)
            {
                call().GetAwaiter().GetResult();
            }

            var cpuPerCall = (Cpu(onThread) - cpu) / calls;
            var bytesPerCall = ((onThread ? GC.GetAllocatedBytesForCurrentThread() : GC.GetTotalAllocatedBytes(precise: true)) - bytes) / (double)calls;
            rounds.Add(new Figures(cpuPerCall, bytesPerCall, onThread));
        }

        var cpuMedian = rounds.Select(r => r.CpuMicroseconds).Order().ElementAt(Rounds / 2);
        var bytesMedian = rounds.Select(r => r.Bytes).Order().ElementAt(Rounds / 2);
        return new Figures(cpuMedian, bytesMedian, onThread);
    }

    private static double Cpu(bool thread) =>
        ClockGetTime(thread ? ThreadCpuClock : ProcessCpuClock, out var t) == 0
            ? (t.Seconds * 1e6) + (t.Nanoseconds / 1e3)
            : throw new PlatformNotSupportedException("Thread CPU time needs Linux's clock_gettime.");

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private sealed record Figures(double CpuMicroseconds, double Bytes, bool OnCallingThread);
}
