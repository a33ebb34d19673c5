using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace CostConsole.LoadTest;

/// <summary>
/// Mixed traffic against a running CostConsole for a fixed time, to tell warm-up from a leak: plain and streamed chats,
/// streaming clients that hang up after the first chunk (10% of all requests), route explanations, model lists, large
/// prompts and malformed bodies. Samples the app's resident memory (VmRSS) every 10 s and prints it at the start, the
/// quarters and the end. Usage:
/// <c>dotnet CostConsole.LoadTest.dll soak --target http://127.0.0.1:5080 --key KEY --pid APP_PID [--minutes 30] [--clients 8] [--csv file]</c>
/// </summary>
internal static class Soak
{
    private static readonly string[] Prompts =
    [
        "Where is my order? The tracking number stopped updating three days ago.",
        "Please reset the password for my account, the reset email never arrives.",
        "Analyze the root cause of the churn in our enterprise segment, compare the retention strategy options and their trade-offs, forecast the revenue impact step by step and recommend an action plan.",
        "My invoice for March shows the Team plan and the Business plan both at full price. Can you refund the difference?",
        "Translate our refund policy into German and keep the legal wording precise.",
        "Write a SQL query that lists customers whose subscription renews in the next 30 days and who opened a ticket this month.",
    ];

    private static readonly string[] Malformed =
    [
        "{\"model\":\"auto\",\"messages\":[",
        "{\"model\":\"auto\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}",
        "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800 x\"}]}",
        "{\"model\":\"auto\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":\"ten\"}",
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options(args);
        var target = new Uri(options.GetValueOrDefault("target") ?? "http://127.0.0.1:5080");
        var key = options.GetValueOrDefault("key") ?? throw new ArgumentException("--key is required");
        var pid = int.Parse(options.GetValueOrDefault("pid") ?? throw new ArgumentException("--pid is required"), CultureInfo.InvariantCulture);
        var duration = TimeSpan.FromMinutes(double.Parse(options.GetValueOrDefault("minutes") ?? "30", CultureInfo.InvariantCulture));
        var clients = int.Parse(options.GetValueOrDefault("clients") ?? "8", CultureInfo.InvariantCulture);
        var csv = options.GetValueOrDefault("csv");

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = clients * 2, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
        {
            BaseAddress = target,
            Timeout = TimeSpan.FromSeconds(60),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

        var counts = new Counts();
        var started = Stopwatch.GetTimestamp();
        var samples = new List<(double Seconds, long RssKb, long Requests)> { (0, Rss(pid), 0) };
        Console.WriteLine($"soak: {duration.TotalMinutes:0.#} min against {target} with {clients} clients; RSS at start {samples[0].RssKb / 1024.0:0} MB");
        using var stop = new CancellationTokenSource(duration);
        var workers = Enumerable.Range(0, clients).Select(i => WorkAsync(http, new Random(i), counts, stop.Token)).ToList();
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(10), stop.Token);
            }
            catch (OperationCanceledException)
            {
            }

            samples.Add((Stopwatch.GetElapsedTime(started).TotalSeconds, Rss(pid), counts.Total));
        }

        await Task.WhenAll(workers);
        samples.Add((Stopwatch.GetElapsedTime(started).TotalSeconds, Rss(pid), counts.Total));
        if (csv is not null)
        {
            await File.WriteAllLinesAsync(csv, ["elapsed_s,rss_kb,requests", .. samples.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Seconds:0},{s.RssKb},{s.Requests}"))]);
        }

        Console.WriteLine($"requests: {counts.Total:N0} ({counts.Total / Stopwatch.GetElapsedTime(started).TotalSeconds:0} /s); {counts}");
        Console.WriteLine("| point | elapsed | RSS | requests so far |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, fraction) in (ReadOnlySpan<(string, double)>)[("start", 0), ("quarter", 0.25), ("middle", 0.5), ("three quarters", 0.75), ("end", 1)])
        {
            var sample = samples.MinBy(s => Math.Abs(s.Seconds - fraction * samples[^1].Seconds));
            Console.WriteLine($"| {name} | {sample.Seconds / 60:0.0} min | {sample.RssKb / 1024.0:0} MB | {sample.Requests:N0} |");
        }

        var secondHalf = samples.Where(s => s.Seconds >= samples[^1].Seconds / 2).ToList();
        Console.WriteLine($"second half: RSS min {secondHalf.Min(s => s.RssKb) / 1024.0:0} MB, max {secondHalf.Max(s => s.RssKb) / 1024.0:0} MB");
        return counts.ServerErrors == 0 ? 0 : 1;
    }

    private static async Task WorkAsync(HttpClient http, Random random, Counts counts, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var roll = random.Next(100);
            try
            {
                var status = roll switch
                {
                    < 30 => await ChatAsync(http, random, stream: false),
                    < 55 => await ChatAsync(http, random, stream: true),
                    < 65 => await HangUpAsync(http, random),
                    < 77 => await PostAsync(http, "/api/route/explain", Chat(random, false)),
                    < 85 => await GetAsync(http, "/v1/models"),
                    < 93 => await PostAsync(http, "/v1/chat/completions", Malformed[random.Next(Malformed.Length)]),
                    _ => await PostAsync(http, "/v1/chat/completions", Chat(random, false, new string('x', 50_000) + " " + Prompts[random.Next(Prompts.Length)])),
                };
                counts.Add(roll < 55 ? (roll < 30 ? "chat" : "stream") : roll < 65 ? "hang-up" : roll < 77 ? "explain" : roll < 85 ? "models" : roll < 93 ? "malformed" : "large", status);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                counts.Add("transport-error", 0);
            }
        }
    }

    private static string Chat(Random random, bool stream, string? prompt = null)
    {
        var text = System.Text.Json.JsonSerializer.Serialize(prompt ?? Prompts[random.Next(Prompts.Length)]);
        var system = random.Next(3) == 0 ? "{\"role\":\"system\",\"content\":\"You are the support assistant of Northwind Cloud. Answer politely and offer to escalate when unsure.\"}," : "";
        var streaming = stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "";
        return $"{{\"model\":\"auto\",\"messages\":[{system}{{\"role\":\"user\",\"content\":{text}}}]{streaming},\"user\":\"soak-{random.Next(50)}\"}}";
    }

    private static async Task<int> ChatAsync(HttpClient http, Random random, bool stream)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Chat(random, stream), Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await response.Content.CopyToAsync(Stream.Null);
        return (int)response.StatusCode;
    }

    /// <summary>A streaming client that reads the first chunk and closes the connection.</summary>
    private static async Task<int> HangUpAsync(HttpClient http, Random random)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Chat(random, true), Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await body.ReadAtLeastAsync(new byte[64], 1, throwOnEndOfStream: false);
        return (int)response.StatusCode;
    }

    private static async Task<int> PostAsync(HttpClient http, string path, string json)
    {
        using var response = await http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        await response.Content.CopyToAsync(Stream.Null);
        return (int)response.StatusCode;
    }

    private static async Task<int> GetAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path);
        await response.Content.CopyToAsync(Stream.Null);
        return (int)response.StatusCode;
    }

    private static long Rss(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            options[args[i].TrimStart('-')] = args[i + 1];
        }

        return options;
    }

    private sealed class Counts
    {
        private readonly Dictionary<string, long> _byKind = [];

        public long Total { get; private set; }

        public long ServerErrors { get; private set; }

        public void Add(string kind, int status)
        {
            lock (_byKind)
            {
                var name = $"{kind} {(status == 0 ? "failed" : status.ToString(CultureInfo.InvariantCulture))}";
                _byKind[name] = _byKind.GetValueOrDefault(name) + 1;
                Total++;
                ServerErrors += status >= 500 ? 1 : 0;
            }
        }

        public override string ToString()
        {
            lock (_byKind)
            {
                return string.Join(", ", _byKind.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}: {kv.Value:N0}"));
            }
        }
    }
}
