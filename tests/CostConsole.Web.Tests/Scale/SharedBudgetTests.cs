using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Budgets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

public sealed class SharedBudgetTests : IAsyncLifetime
{
    private const int MaxTokens = 100;
    private const string Prompt = "Summarise the customer's last three orders and their delivery status.";
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private static object Body(string model = "gpt-4.1") => new { model, max_tokens = MaxTokens, messages = new[] { new { role = "user", content = Prompt } } };

    private static async Task<long> WorstCaseAsync(ClusterHost host, CancellationToken ct)
    {
        var guard = host.Services.GetRequiredService<BudgetGuard>();
        var snapshot = host.Services.GetRequiredService<RoutingState>().Current;
        var body = System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(Body()));
        using var request = CostConsole.Routing.Requests.ChatRequestParser.Parse(body, null, CostConsole.Routing.Tokens.O200kTokenCounter.Instance);
        return guard.WorstCaseNanoUsd(await snapshot.DecideAsync(request, ct), request, DateTimeOffset.UtcNow);
    }

    private static async Task<long> LedgerSpendAsync(ClusterHost host, string? tier = null)
    {
        await using var db = await host.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync();
        return await db.RequestLog.Where(r => tier == null || r.Tier == tier).SumAsync(r => r.CostNanoUsd);
    }

    /// <summary>Saves a budget on <paramref name="host"/>; every instance takes it in.</summary>
    private static async Task<long> SaveBudgetAsync(Cluster cluster, ClusterHost host, BudgetForm form, CancellationToken ct)
    {
        var saved = await host.Services.GetRequiredService<BudgetService>().SaveAsync(form, "test", ct);
        Assert.True(saved.Saved, saved.Summary);
        foreach (var other in cluster.Hosts.Where(h => h != host))
        {
            await other.Services.GetRequiredService<BudgetGuard>().ApplyChangesAsync(ct);
        }

        return saved.Id!.Value;
    }

    /// <summary>Polls an instance's budget figures until <paramref name="done"/> holds or ten seconds pass.</summary>
    private static async Task<BudgetState> StateAsync(ClusterHost host, string name, Func<BudgetState, bool> done, CancellationToken ct)
    {
        var guard = host.Services.GetRequiredService<BudgetGuard>();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        BudgetState state;
        while (!done(state = guard.States().Single(s => s.Budget.Name == name)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, ct);
        }

        return state;
    }

    [Fact]
    public async Task Two_hundred_requests_over_two_instances_never_spend_past_a_strict_budget_and_both_instances_show_the_ledger_spend()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis);
        var worst = await WorstCaseAsync(cluster.A, ct);
        var limit = 50 * worst;
        await SaveBudgetAsync(cluster, cluster.A, new BudgetForm
        {
            Name = "Cluster burst",
            Scope = BudgetScope.Global,
            Period = BudgetPeriod.Daily,
            LimitUsd = limit / 1_000_000_000m,
            Strict = true,
        }, ct);

        using var onA = cluster.A.CreateApiClient();
        using var onB = cluster.B.CreateApiClient();
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 200).Select(async i =>
        {
            await start.WaitAsync(ct);
            using var response = await (i % 2 == 0 ? onA : onB).PostAsJsonAsync("/v1/chat/completions", Body(), ct);
            return (Instance: i % 2, response.StatusCode, Body: await response.Content.ReadAsStringAsync(ct));
        }).ToList();
        start.Release(200);
        var results = await Task.WhenAll(requests);

        var answered = results.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        var refused = results.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(answered.Count + refused.Count == 200, string.Join(Environment.NewLine, results.Where(r => r.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.TooManyRequests)).Select(r => $"{(int)r.StatusCode} {r.Body}").Distinct().Take(5)));
        // Which instance wins the race for the budget depends on the machine; what must hold is that the two together
        // spent no more than one instance could (each counting alone would answer about 50 apiece).
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Equal("budget_exceeded", JsonDocument.Parse(r.Body).RootElement.GetProperty("error").GetProperty("code").GetString()));

        var spent = await LedgerSpendAsync(cluster.A);
        Assert.True(spent <= limit, $"spent {spent} nano-USD against a limit of {limit}");
        Assert.True(answered.Count >= 40, $"only {answered.Count} of 200 answered under a budget for about 50");

        foreach (var host in cluster.Hosts)
        {
            var state = await StateAsync(host, "Cluster burst", s => s.SpentNanoUsd == spent && s.ReservedNanoUsd == 0, ct);
            Assert.Equal(spent, state.SpentNanoUsd);
            Assert.Equal(0, state.ReservedNanoUsd);
            Assert.Equal(0, state.InFlight);
        }
    }

    [Fact]
    public async Task While_redis_is_down_requests_under_a_budget_get_a_503_naming_it_others_go_on_and_all_recovers_when_it_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis);
        var large = cluster.A.Services.GetRequiredService<RoutingState>().Current.Models.First(m => m.Model.Id == "gpt-4.1").Tier;
        await SaveBudgetAsync(cluster, cluster.A, new BudgetForm { Name = "Large tier", Scope = BudgetScope.Tier, ScopeValue = large, Period = BudgetPeriod.Monthly, LimitUsd = 100m }, ct);
        using var onA = cluster.A.CreateApiClient();
        using var onB = cluster.B.CreateApiClient();
        using (var before = await onA.PostAsJsonAsync("/v1/chat/completions", Body(), ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        _redis.Stop();
        using (var refused = await onB.PostAsJsonAsync("/v1/chat/completions", Body(), ct))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            var error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("error");
            Assert.Equal("budget_store_unavailable", error.GetProperty("code").GetString());
            Assert.Contains("Redis at " + _redis.Configuration, error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Contains("'Large tier'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        // A request under no budget does not need Redis.
        using (var unbudgeted = await onB.PostAsJsonAsync("/v1/chat/completions", Body("gpt-4.1-nano"), ct))
        {
            Assert.Equal(HttpStatusCode.OK, unbudgeted.StatusCode);
        }

        // Back, empty (no persistence): the counter starts again from the ledger and requests under the budget are served.
        await _redis.StartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        do
        {
            using var after = await onB.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
            status = after.StatusCode;
        }
        while (status != HttpStatusCode.OK && DateTime.UtcNow < deadline);

        Assert.Equal(HttpStatusCode.OK, status);
        var spent = await LedgerSpendAsync(cluster.A, large);
        Assert.True(spent > 0);
        foreach (var host in cluster.Hosts)
        {
            Assert.Equal(spent, (await StateAsync(host, "Large tier", s => s.SpentNanoUsd == spent, ct)).SpentNanoUsd);
        }
    }

    [Fact]
    public async Task With_fail_open_requests_under_a_budget_are_served_while_redis_is_down_with_an_alert_and_their_cost_reaches_the_counter_when_it_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis, settings: new() { ["CostConsole:Redis:WhenUnavailable"] = "FailOpen" });
        await SaveBudgetAsync(cluster, cluster.A, new BudgetForm { Name = "Open budget", Scope = BudgetScope.Global, Period = BudgetPeriod.Monthly, LimitUsd = 100m }, ct);
        using var onB = cluster.B.CreateApiClient();
        using (var before = await onB.PostAsJsonAsync("/v1/chat/completions", Body(), ct))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        _redis.Stop();
        using (var served = await onB.PostAsJsonAsync("/v1/chat/completions", Body(), ct))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        var alert = Assert.Single(cluster.B.Services.GetRequiredService<AlertCenter>().Recent(), a => a.Kind == ConsoleAlert.SharedStoreUnavailable);
        Assert.Contains("served", alert.Message, StringComparison.Ordinal);

        await _redis.StartAsync();
        var spent = await LedgerSpendAsync(cluster.A);
        Assert.Equal(spent, (await StateAsync(cluster.A, "Open budget", s => s.SpentNanoUsd == spent, ct)).SpentNanoUsd);
        Assert.Equal(spent, (await StateAsync(cluster.B, "Open budget", s => s.SpentNanoUsd == spent, ct)).SpentNanoUsd);
    }

    [Fact]
    public async Task Each_alert_of_a_budget_fires_once_across_the_cluster_whichever_instance_crosses_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis);
        var worst = await WorstCaseAsync(cluster.A, ct);
        await SaveBudgetAsync(cluster, cluster.A, new BudgetForm
        {
            Name = "Alerted once",
            Scope = BudgetScope.Global,
            Period = BudgetPeriod.Daily,
            LimitUsd = 4 * worst / 1_000_000_000m,
            Thresholds = "50",
        }, ct);

        using var onA = cluster.A.CreateApiClient();
        using var onB = cluster.B.CreateApiClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 12; i++)
        {
            using var response = await (i % 2 == 0 ? onA : onB).PostAsJsonAsync("/v1/chat/completions", Body(), ct);
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        var alerts = cluster.Hosts.SelectMany(h => h.Services.GetRequiredService<AlertCenter>().Recent()).Where(a => a.Budget == "Alerted once").ToList();
        Assert.Single(alerts, a => a.Kind == ConsoleAlert.BudgetThreshold && a.Threshold == 50);
        Assert.Single(alerts, a => a.Kind == ConsoleAlert.BudgetLimitReached);
    }

    [Fact]
    public async Task The_reservations_of_an_instance_that_died_are_released_when_they_lapse()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis, settings: new() { ["CostConsole:Budgets:OverrunWaitSeconds"] = "0" });
        var worst = await WorstCaseAsync(cluster.A, ct);
        await SaveBudgetAsync(cluster, cluster.A, new BudgetForm { Name = "Held by the dead", Scope = BudgetScope.Global, Period = BudgetPeriod.Daily, LimitUsd = 3 * worst / 1_000_000_000m, Strict = true }, ct);

        // An instance reserved the whole budget for requests in flight, and was killed before it could settle them.
        var counter = cluster.A.Services.GetRequiredService<BudgetGuard>().Counters.Single(c => c.Budget.Name == "Held by the dead");
        var now = DateTimeOffset.UtcNow;
        var held = await cluster.A.Services.GetRequiredService<CostConsole.Web.Cluster.SharedBudgets>()
            .ReserveAsync("killed-instance:1", [new(counter, 3 * worst, 3 * worst, 0)], now, now.AddSeconds(8));
        Assert.Null(held);

        using var onB = cluster.B.CreateApiClient();
        async Task<HttpStatusCode> SendAsync()
        {
            using var response = await onB.PostAsJsonAsync("/v1/chat/completions", Body(), ct);
            return response.StatusCode;
        }

        // The hold lasts 8 s, long enough for this first request on a busy machine.
        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync());

        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        while ((status = await SendAsync()) != HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, ct);
        }

        Assert.Equal(HttpStatusCode.OK, status);
        var spent = await LedgerSpendAsync(cluster.A);
        var state = await StateAsync(cluster.B, "Held by the dead", s => s.SpentNanoUsd == spent && s.InFlight == 0, ct);
        Assert.Equal((spent, 0L, 0), (state.SpentNanoUsd, state.ReservedNanoUsd, state.InFlight));
    }
}
