extern alias web;

using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Requests;

namespace CostConsole.Benchmarks.Gateway;

/// <summary>
/// What the shipped default router costs per decision on the sample CRM workload (<c>decisions [N]</c>): every prompt
/// of the workload decided N times by the seeded rule set with the trained router, on the calling thread, weighted as
/// the replay draws them. It also says which share of the workload the trained classifier decides (the rest is
/// settled by rules). The shipped default has no embedding stage: the trained router reads n-grams and structure only.
/// </summary>
internal static partial class WorkloadDecisions
{
    private const int ThreadCpuClock = 3;

    public static async Task RunAsync(string[] options)
    {
        var calls = options is [var n, ..] ? int.Parse(n, CultureInfo.InvariantCulture) : 500;
        await using var gateway = new GatewayUnderTest();
        await gateway.StartAsync();
        var snapshot = gateway.Pipeline.Snapshot;
        var workload = web::CostConsole.Web.Traffic.SampleWorkload.Load();

        double weightTotal = 0, weightTrained = 0, weightedCpu = 0;
        var perPrompt = new List<double>();
        var sources = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var prompt in workload.Prompts)
        {
            var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = prompt.Prompt } } }));
            using var request = ChatRequestParser.Parse(body, null, gateway.Tokens);
            request.CountPromptTokens(CancellationToken.None);
            var decision = await snapshot.DecideAsync(request);
            if (decision.Source == CostConsole.Routing.Decisions.DecisionSource.Classifier && decision.Classifier != "trained")
            {
                throw new InvalidOperationException($"'{prompt.Prompt}' was decided by the {decision.Classifier} classifier, not the shipped trained router.");
            }

            for (var i = 0; i < 50; i++)
            {
                _ = snapshot.DecideAsync(request).Result;
            }

            var started = ThreadCpuMicroseconds();
            for (var i = 0; i < calls; i++)
            {
                var pending = snapshot.DecideAsync(request);
                if (!pending.IsCompletedSuccessfully)
                {
                    throw new InvalidOperationException($"Deciding '{prompt.Prompt}' did not complete on the calling thread.");
                }
            }

            var cpu = (ThreadCpuMicroseconds() - started) / calls;
            perPrompt.Add(cpu);
            weightTotal += prompt.Weight;
            weightedCpu += prompt.Weight * cpu;
            var by = decision.Classifier == "trained" ? "trained router" : decision.Rule is null ? decision.Source.ToString() : "rule";
            weightTrained += by == "trained router" ? prompt.Weight : 0;
            sources[by] = sources.GetValueOrDefault(by) + prompt.Weight;
        }

        perPrompt.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{workload.Prompts.Count} prompts × {calls} decisions each, thread CPU; load average {File.ReadAllText("/proc/loadavg")[..14]}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"weighted mean {weightedCpu / weightTotal:0.0} µs per decision; per prompt: median {perPrompt[perPrompt.Count / 2]:0.0} µs, slowest {perPrompt[^1]:0.0} µs"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decided by: {string.Join(", ", sources.Select(s => $"{s.Key} {100 * s.Value / weightTotal:0.0} %"))}"));
    }

    private static double ThreadCpuMicroseconds() =>
        ClockGetTime(ThreadCpuClock, out var t) == 0 ? (t.Seconds * 1e6) + (t.Nanoseconds / 1e3) : throw new PlatformNotSupportedException("Thread CPU time needs Linux's clock_gettime.");

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
