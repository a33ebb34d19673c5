using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CostConsole.Simulator;
using CostConsole.Web.Traffic;

namespace CostConsole.Web.Commands;

/// <summary>
/// <c>traffic --rate 50 --seconds 60 [--url http://127.0.0.1:5080] [--key cc-dev-…] [--concurrency 2000] [--outcomes on]</c>: replays the sample workload
/// against a running console over HTTP, as real clients would, and prints progress each second. With
/// <c>--outcomes on</c> each answer gets a simulated customer verdict posted to <c>/api/feedback</c> (judged with the
/// default simulated model profiles); every request carries a conversation id and an end user so experiments enrol it.
/// </summary>
internal static class TrafficCommand
{
    public static Command Create()
    {
        var rate = ConsoleCommandLine.Number("--rate", "Requests per second", 10.0, 0.1, TrafficGenerator.MaxRate);
        var seconds = ConsoleCommandLine.Number("--seconds", "How long to send, in seconds", 60.0, 1, MaxSeconds);
        var concurrency = ConsoleCommandLine.Number("--concurrency", "Most requests in flight at once", 2000, 1, 10_000);
        var url = new Option<string>("--url") { Description = "The running console's address", DefaultValueFactory = _ => "http://127.0.0.1:5080" };
        url.Validators.Add(result =>
        {
            var text = result.GetValueOrDefault<string>();
            if (!Uri.TryCreate(text, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
            {
                result.AddError($"--url must be an absolute http(s) address; got '{text}'.");
            }
        });
        var key = new Option<string>("--key") { Description = "The API key to send (default: $COSTCONSOLE_API_KEY, else the development key)" };
        var outcomes = new Option<string>("--outcomes")
        {
            Description = "on: post a simulated customer verdict for each answer to /api/feedback",
            DefaultValueFactory = _ => "off",
        };
        outcomes.AcceptOnlyFromAmong("on", "off");

        var command = new Command("traffic", "Replays the sample CRM workload against a running console over HTTP (/v1, with an API key), printing progress each second.")
        {
            rate, seconds, concurrency, url, key, outcomes,
        };
        command.SetAction((parse, _) => ConsoleCommandLine.RunAsync(parse, () => RunAsync(
            parse.GetValue(rate),
            parse.GetValue(seconds),
            parse.GetValue(concurrency),
            new Uri(parse.GetValue(url)!),
            parse.GetValue(key) ?? Environment.GetEnvironmentVariable("COSTCONSOLE_API_KEY") ?? "cc-dev-0123456789abcdef",
            parse.GetValue(outcomes) == "on")));
        return command;
    }

    private static async Task RunAsync(double rate, double seconds, int concurrency, Uri baseAddress, string key, bool outcomes)
    {
        var simulated = new SimulatedOutcomes(42);
        var capabilities = SimulatorOptions.DefaultModels.ToDictionary(m => m.Id, m => m.Capability, StringComparer.Ordinal);
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

            int user;
            lock (random)
            {
                user = random.Next(TrafficGenerator.SampleUsers);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = JsonContent.Create(new { model = "auto", user = $"sample-user-{user}", messages = new[] { new { role = "user", content = draw.Prompt.Prompt } } }),
            };
            request.Headers.Add("x-costconsole-tags", "source=traffic-command, caller=" + draw.Key.Name.Replace(",", " ", StringComparison.Ordinal));
            request.Headers.Add("x-costconsole-conversation", "cli-" + Guid.NewGuid().ToString("N"));
            using var response = await http.SendAsync(request, stop.Token);
            if (outcomes && response.Headers.TryGetValues("x-costconsole-request-id", out var ids))
            {
                double? capability = null;
                if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<AnsweredBy>(stop.Token) is { Model: { } model })
                {
                    capability = capabilities.TryGetValue(model, out var c) ? c : null;
                }

                var verdict = simulated.Draw(capability, draw.Prompt.Prompt);
                using var feedback = await http.PostAsJsonAsync("/api/feedback", new { request_id = ids.First(), resolved = verdict.Resolved, csat = verdict.Csat }, stop.Token);
            }

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

    private sealed record AnsweredBy(string? Model);

    private static void Print(TrafficProgress p, long started) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Stopwatch.GetElapsedTime(started).TotalSeconds,6:0.0} s  sent {p.Sent,8:N0}  answered {p.Answered,8:N0}  failed {p.Failed,6:N0}  in flight {p.InFlight,5:N0}"));
}
