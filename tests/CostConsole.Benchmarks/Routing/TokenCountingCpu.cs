using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks.Routing;

/// <summary>
/// The CPU a request body costs before routing (parse, check the text, count the prompt once), at 1 MiB and at the
/// 4 MiB body limit: process CPU time (every thread, GC included) per request, the worst of five, so the target
/// "under 1 s of CPU for any body up to the limit" is read directly rather than from wall time on a shared machine.
/// Then how far the linear count is from the encoding's own on 20,000 characters of each kind.
/// </summary>
internal static class TokenCountingCpu
{
    public static void Run()
    {
        var process = Process.GetCurrentProcess();
        O200kTokenCounter.Instance.CountTokens("warm up the encoding");
        Console.WriteLine("| Input | Body | Prompt tokens | Estimated | CPU per request, worst of 5 | Wall, worst of 5 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var size in (int[])[1 << 20, 4 << 20])
        {
            foreach (var kind in TokenCountingBenchmarks.Kinds)
            {
                var body = TokenCountingBenchmarks.Body(TokenCountingBenchmarks.Make(kind, size - 64));
                TimeSpan worstCpu = default, worstWall = default;
                long tokens = 0;
                var exact = true;
                for (var i = 0; i < 5; i++)
                {
                    process.Refresh();
                    var cpu = process.TotalProcessorTime;
                    var wall = Stopwatch.GetTimestamp();
                    using (var request = ChatRequestParser.Parse(body, null, O200kTokenCounter.Instance))
                    {
                        tokens = request.CountPromptTokens(CancellationToken.None);
                        exact = request.PromptTokensExact;
                    }

                    var elapsed = Stopwatch.GetElapsedTime(wall);
                    process.Refresh();
                    var used = process.TotalProcessorTime - cpu;
                    worstCpu = used > worstCpu ? used : worstCpu;
                    worstWall = elapsed > worstWall ? elapsed : worstWall;
                }

                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {kind} | {body.Length / 1024.0 / 1024:0.00} MiB | {tokens:N0} | {(exact ? "no" : "yes")} | {worstCpu.TotalMilliseconds:N0} ms | {worstWall.TotalMilliseconds:N0} ms |"));
            }
        }

        Console.WriteLine();
        Console.WriteLine("| Input (20,000 chars) | o200k exact | counted | difference |");
        Console.WriteLine("|---|---|---|---|");
        var encoding = Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("o200k_base");
        foreach (var kind in TokenCountingBenchmarks.Kinds)
        {
            var text = TokenCountingBenchmarks.Make(kind, 1 << 20)[..20_000];
            var exactCount = encoding.CountTokens(text);
            var counted = O200kTokenCounter.Instance.CountTokens(text);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kind} | {exactCount:N0} | {counted:N0} | {(counted - exactCount) * 100.0 / exactCount:+0.0;-0.0;0} % |"));
        }
    }
}
