using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

/// <summary>The console across instances: one sign-in for all of them, and the live ticks of all of them on each.</summary>
public sealed class ClusterConsoleTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task A_sign_in_form_from_one_instance_posts_to_another_and_its_cookie_opens_the_console_on_both()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis);
        var cookies = new CookieContainer();
        HttpClient Browser(ClusterHost host) => new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = host.BaseAddress };
        using var onA = Browser(cluster.A);
        using var onB = Browser(cluster.B);

        using (var anonymous = await onB.GetAsync("/budgets", ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        }

        // The form and its antiforgery token come from A; B accepts them and signs in.
        var page = await onA.GetStringAsync("/signin", ct);
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        using (var signedIn = await onB.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = CostConsoleFactory.AdminEmail,
            ["Input.Password"] = CostConsoleFactory.Password,
        }), ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            Assert.DoesNotContain("/signin", signedIn.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        // The cookie B issued opens the console on A as well as on B.
        using (var console = await onA.GetAsync("/budgets", ct))
        {
            Assert.Equal(HttpStatusCode.OK, console.StatusCode);
        }

        using (var console = await onB.GetAsync("/budgets", ct))
        {
            Assert.Equal(HttpStatusCode.OK, console.StatusCode);
        }
    }

    [Fact]
    public async Task A_provider_key_protected_on_one_instance_is_read_on_another()
    {
        await using var cluster = await Cluster.StartAsync(_redis);
        var secret = "sk-provider-" + Guid.NewGuid().ToString("N");
        var stored = cluster.A.Services.GetRequiredService<ISecretProtector>().Protect(secret);

        Assert.Equal(secret, cluster.B.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));
    }

    [Fact]
    public async Task Turning_redis_on_keeps_provider_keys_protected_before_readable_on_every_instance()
    {
        var folder = Path.Combine(Path.GetTempPath(), "costconsole-cluster", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var database = Path.Combine(folder, "costconsole.db");
        var dataFolder = Path.Combine(folder, "first");
        var secret = "sk-provider-" + Guid.NewGuid().ToString("N");
        string stored;
        await using (var alone = new ClusterHost(database, _redis, new() { ["CostConsole:DataFolder"] = dataFolder, ["CostConsole:Redis:Configuration"] = "" }))
        {
            _ = alone.BaseAddress;
            Assert.Null(alone.Services.GetService<CostConsole.Web.Cluster.RedisStore>());
            stored = alone.Services.GetRequiredService<ISecretProtector>().Protect(secret);
        }

        await using var upgraded = new ClusterHost(database, _redis, new() { ["CostConsole:DataFolder"] = dataFolder });
        _ = upgraded.BaseAddress;
        await using var added = new ClusterHost(database, _redis);
        _ = added.BaseAddress;

        Assert.Equal(secret, upgraded.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));
        Assert.Equal(secret, added.Services.GetRequiredService<ISecretProtector>().Unprotect(stored));
    }

    [Fact]
    public async Task A_hub_client_on_one_instance_receives_the_ticks_of_requests_served_by_another_and_they_add_up_to_the_ledger()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis);
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(cluster.B.BaseAddress, MetricsHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(CostConsoleFactory.ApiKey))
            .Build();
        var ticks = new ConcurrentQueue<MetricsTick>();
        connection.On<MetricsTick>(MetricsHub.TickMethod, ticks.Enqueue);
        await connection.StartAsync(ct);
        await Metrics.TrafficSender.WaitUntilAsync(() => Task.FromResult(!ticks.IsEmpty), "the first tick");

        using var onA = cluster.A.CreateApiClient();
        var ids = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await onA.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = Metrics.TrafficSender.Faq } } }, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.Add(response.Headers.GetValues("x-costconsole-request-id").Single());
        }

        await Metrics.TrafficSender.WaitUntilAsync(() => Task.FromResult(ticks.Sum(t => t.Requests) >= ids.Count), "ticks on B covering every request served by A");
        var ledger = (await cluster.A.LedgerAsync()).Where(r => ids.Contains(r.RequestId)).ToList();
        var received = ticks.ToList();
        Assert.Equal(ids.Count, ledger.Count);
        Assert.Equal(ledger.Count, received.Sum(t => t.Requests));
        Assert.Equal(Money.FromNanoUsd(ledger.Sum(r => r.CostNanoUsd)), received.Sum(t => t.Spend));
    }

    [Fact]
    public async Task The_live_dashboard_of_one_instance_shows_the_requests_served_by_another()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis);
        using var onA = cluster.A.CreateApiClient();
        var ids = new HashSet<string>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await onA.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = Metrics.TrafficSender.Draft } } }, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.Add(response.Headers.GetValues("x-costconsole-request-id").Single());
        }

        // What B's dashboard draws its live chart and totals from.
        var live = cluster.B.Services.GetRequiredService<LiveMetrics>();
        await Metrics.TrafficSender.WaitUntilAsync(() => Task.FromResult(live.Recent(LiveMetrics.Window).Sum(t => t.Requests) >= ids.Count), "B's live view covering the requests served by A");
        var ledger = (await cluster.A.LedgerAsync()).Where(r => ids.Contains(r.RequestId)).ToList();
        var shown = live.Recent(LiveMetrics.Window);
        Assert.Equal(ledger.Count, shown.Sum(t => t.Requests));
        Assert.Equal(Money.FromNanoUsd(ledger.Sum(r => r.CostNanoUsd)), shown.Sum(t => t.Spend));
    }
}
