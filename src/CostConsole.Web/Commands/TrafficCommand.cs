using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CostConsole.Web.Traffic;

namespace CostConsole.Web.Commands;

/// <summary>
/// <c>traffic --rate 50 --seconds 60 [--url http://127.0.0.1:5080] [--key cc-dev-…]</c>: replays the sample workload
/// against a running console over HTTP, as real clients would, and prints progress each second.
/// </summary>
internal static class TrafficCommand
{
    public static async Task RunAsync(string[] args)
    {
        var options = new CommandArgs(args, "rate", "seconds", "url", "key", "concurrency");
        var rate = options.Number("rate", 10, 0.1, TrafficGenerator.MaxRate);
        var seconds = options.Number("seconds", 60, 1, MaxSeconds);
        var concurrency = (int)options.Number("concurrency", 2000, 1, 10_000);
        var url = options.Text("url") ?? "http://127.0.0.1:5080";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            throw new CommandException($"--url must be an absolute http(s) address; got '{url}'.");
        }

        var key = options.Text("key") ?? Environment.GetEnvironmentVariable("COSTCONSOLE_API_KEY") ?? "cc-dev-0123456789abcdef";
        var workload = SampleWorkload.Load();
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(120),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        var random = new Random();
        var progress = new TrafficProgress();
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };

        Console.WriteLine($"Sending the sample CRM workload to {baseAddress} at {rate:0.#} requests/s for {seconds:0} s (Ctrl+C stops).");
        var started = Stopwatch.GetTimestamp();
        var run = TrafficPacer.RunAsync(rate, TimeSpan.FromSeconds(seconds), concurrency, async _ =>
        {
            WorkloadDraw draw;
            lock (random)
            {
                draw = workload.Draw(random);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new { model = "auto", messages = new[] { new { role = "user", content = draw.Prompt.Prompt } } }),
            };
            request.Headers.Add("x-costconsole-tags", "source=traffic-command, caller=" + draw.Key.Name.Replace(",", " ", StringComparison.Ordinal));
            using var response = await http.SendAsync(request, stop.Token);
            return response.IsSuccessStatusCode;
        }, progress, stop.Token);

        while (await Task.WhenAny(run, Task.Delay(1000)) != run)
        {
            Print(progress, started);
        }

        await run;
        Print(progress, started);
        if (progress.Answered == 0 && progress.Sent > 0)
        {
            throw new CommandException($"No request was answered: is a console running at {baseAddress}, and does it accept the key?");
        }
    }

    private const double MaxSeconds = 24 * 3600;

    private static void Print(TrafficProgress p, long started) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(started).TotalSeconds,6:0.0} s  sent {p.Sent,8:N0}  answered {p.Answered,8:N0}  failed {p.Failed,6:N0}  in flight {p.InFlight,5:N0}"));
}
