using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CostConsole.Web.Metrics;
using CostConsole.Web.Traffic;
using Microsoft.AspNetCore.SignalR.Client;

// Load test of the live dashboard: N SignalR clients on /hubs/metrics while the sample workload is sent at a fixed
// rate, for a bounded time, against a console on this machine. Reports dropped ticks (gaps in the sequence), how
// late ticks arrive, what the ticks add up to, and the console's resident memory over the run.
//
//   dotnet run -c Release --project tests/CostConsole.DashboardLoad -- --url http://127.0.0.1:5080 --key cc-dev-0123456789abcdef \
//       --clients 20 --rate 200 --seconds 600 --pid <console pid>

var options = Options.Parse(args);
if (!options.Url.IsLoopback)
{
    Console.Error.WriteLine($"{options.Url} is not on this machine: the load test only targets loopback addresses.");
    return 2;
}

var clients = new List<Watcher>();
for (var i = 0; i < options.Clients; i++)
{
    var watcher = new Watcher(new HubConnectionBuilder()
        .WithUrl(new Uri(options.Url, MetricsHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(options.Key))
        .Build());
    await watcher.StartAsync();
    clients.Add(watcher);
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{options.Clients} hub clients connected to {options.Url}; sending {options.Rate:0} requests/s for {options.Seconds:0} s."));
var workload = SampleWorkload.Load();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 2000 }) { BaseAddress = options.Url, Timeout = TimeSpan.FromSeconds(120) };
http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.Key);
var random = new Random(11);
var progress = new TrafficProgress();
var memory = new List<(double Seconds, long RssKb)>();
var started = Stopwatch.GetTimestamp();
var traffic = TrafficPacer.RunAsync(options.Rate, TimeSpan.FromSeconds(options.Seconds), 4000, async _ =>
{
    WorkloadDraw draw;
    lock (random)
    {
        draw = workload.Draw(random);
    }

    using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = draw.Prompt.Prompt } } });
    return response.IsSuccessStatusCode;
}, progress, CancellationToken.None);

using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(10)))
{
    while (await Task.WhenAny(traffic, timer.WaitForNextTickAsync().AsTask()) != traffic)
    {
        var rss = Rss(options.Pid);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        memory.Add((elapsed, rss));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{elapsed,6:0} s  sent {progress.Sent,9:N0}  answered {progress.Answered,9:N0}  failed {progress.Failed,6:N0}  in flight {progress.InFlight,5:N0}  ticks/client {clients.Min(c => c.Ticks),5}  dropped {clients.Sum(c => c.Dropped),3}  console RSS {rss / 1024.0,7:0.0} MiB"));
    }
}

await traffic;
var sendingTook = Stopwatch.GetElapsedTime(started).TotalSeconds;
// The last requests reach the ledger and then a tick: wait for the tick that covers them, with a deadline.
var deadline = DateTime.UtcNow.AddSeconds(15);
while (clients.Any(c => c.Requests < progress.Answered + progress.Failed) && DateTime.UtcNow < deadline)
{
    await Task.Delay(100);
}

foreach (var client in clients)
{
    await client.DisposeAsync();
}

var delays = clients.SelectMany(c => c.DelaysMs).Order().ToList();
var firstMinute = memory.Where(m => m.Seconds <= 60).Select(m => m.RssKb).DefaultIfEmpty().Max();
var lastMinute = memory.Where(m => m.Seconds >= memory.Last().Seconds - 60).Select(m => m.RssKb).DefaultIfEmpty().Max();
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Requests: {progress.Sent:N0} sent, {progress.Answered:N0} answered, {progress.Failed:N0} failed in {sendingTook:0} s ({progress.Answered / sendingTook:0} answered/s)."));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Ticks: {clients.Sum(c => c.Ticks):N0} received by {clients.Count} clients ({clients.Min(c => c.Ticks)}–{clients.Max(c => c.Ticks)} each), dropped (sequence gaps): {clients.Sum(c => c.Dropped)}."));
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Requests counted by each client's ticks: {clients.Min(c => c.Requests):N0}–{clients.Max(c => c.Requests):N0} (sent and finished: {progress.Answered + progress.Failed:N0})."));
if (delays.Count > 0)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Tick delivery after its second closed: p50 {delays[delays.Count / 2]:0} ms, p95 {delays[(int)(delays.Count * 0.95)]:0} ms, max {delays[^1]:0} ms."));
}

if (options.Pid is not null)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Console RSS: peak of the first minute {firstMinute / 1024.0:0.0} MiB, peak of the last minute {lastMinute / 1024.0:0.0} MiB, samples every 10 s: {string.Join(" ", memory.Select(m => (m.RssKb / 1024).ToString(CultureInfo.InvariantCulture)))}"));
}

return clients.Sum(c => c.Dropped) == 0 ? 0 : 1;

static long Rss(int? pid)
{
    if (pid is null)
    {
        return 0;
    }

    var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
    return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

/// <summary>One hub client: counts ticks, gaps in their sequence, and how late each arrives.</summary>
internal sealed class Watcher(HubConnection connection) : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private long _last = -1;

    public int Ticks { get; private set; }

    public long Dropped { get; private set; }

    public long Requests { get; private set; }

    public List<double> DelaysMs { get; } = [];

    public async Task StartAsync()
    {
        connection.On<MetricsTick>(MetricsHub.TickMethod, tick =>
        {
            lock (_lock)
            {
                if (_last >= 0 && tick.Sequence != _last + 1)
                {
                    Dropped += Math.Max(0, tick.Sequence - _last - 1);
                }

                _last = tick.Sequence;
                Ticks++;
                Requests += tick.Requests;
                DelaysMs.Add((DateTimeOffset.UtcNow - tick.Time).TotalMilliseconds);
            }
        });
        await connection.StartAsync();
    }

    public ValueTask DisposeAsync() => connection.DisposeAsync();
}

internal sealed record Options(Uri Url, string Key, int Clients, double Rate, double Seconds, int? Pid)
{
    public static Options Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        string Get(string name, string fallback) => values.GetValueOrDefault(name, fallback);
        return new Options(
            new Uri(Get("url", "http://127.0.0.1:5080")),
            Get("key", "cc-dev-0123456789abcdef"),
            int.Parse(Get("clients", "20"), CultureInfo.InvariantCulture),
            double.Parse(Get("rate", "200"), CultureInfo.InvariantCulture),
            Math.Min(3600, double.Parse(Get("seconds", "60"), CultureInfo.InvariantCulture)),
            values.TryGetValue("pid", out var pid) ? int.Parse(pid, CultureInfo.InvariantCulture) : null);
    }
}
