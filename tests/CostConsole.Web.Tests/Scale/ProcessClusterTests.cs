using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using CostConsole.Web.Keys;
using CostConsole.Web.Metrics;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// Several CostConsole processes over one PostgreSQL and one Redis, with the test spreading requests over them as a
/// round-robin load balancer would. One cluster serves every test of the class; each test uses its own key, budget or
/// prompt, so their order does not matter.
/// </summary>
public sealed class ProcessClusterTests(ProcessCluster cluster) : IClassFixture<ProcessCluster>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>Calls <paramref name="send"/> until <paramref name="done"/> holds or the deadline passes; returns the last result.</summary>
    private static async Task<T> UntilAsync<T>(Func<Task<T>> send, Func<T, bool> done, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? Deadline);
        T last;
        while (!done(last = await send()) && DateTime.UtcNow < until)
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        return last;
    }

    private async Task<long> LedgerSpendAsync(long keyId) =>
        (await cluster.LedgerAsync(TestContext.Current.CancellationToken)).Where(r => r.ApiKeyId == keyId).Sum(r => r.CostNanoUsd);

    [Fact]
    public async Task Two_hundred_concurrent_requests_spread_over_three_instances_spend_at_most_a_strict_budget_and_its_shared_counter_equals_the_ledger()
    {
        var ct = TestContext.Current.CancellationToken;
        var instances = new[] { cluster.A.BaseAddress, cluster.B.BaseAddress, cluster.C.BaseAddress };
        var clients = instances.Select(i => ProcessCluster.Client(i, cluster.BurstKey.Secret)).ToArray();
        using var start = new SemaphoreSlim(0);
        var requests = Enumerable.Range(0, 200).Select(async i =>
        {
            await start.WaitAsync(ct);
            using var response = await clients[i % clients.Length].PostAsJsonAsync("/v1/chat/completions", ProcessCluster.Body(), ct);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync(ct));
        }).ToList();
        start.Release(200);
        var results = await Task.WhenAll(requests);
        foreach (var client in clients)
        {
            client.Dispose();
        }

        var answered = results.Count(r => r.StatusCode == HttpStatusCode.OK);
        var refused = results.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToList();
        Assert.True(answered + refused.Count == 200, string.Join(Environment.NewLine, results.Where(r => r.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.TooManyRequests)).Select(r => $"{(int)r.StatusCode} {r.Body}").Distinct().Take(5)));
        Assert.NotEmpty(refused);
        Assert.All(refused, r => Assert.Equal("budget_exceeded", JsonDocument.Parse(r.Body).RootElement.GetProperty("error").GetProperty("code").GetString()));

        // Three instances each counting alone would have answered about 50 apiece.
        var spent = await LedgerSpendAsync(cluster.BurstKey.Id);
        Assert.True(spent <= cluster.BurstLimitNanoUsd, $"spent {spent} nano-USD against a limit of {cluster.BurstLimitNanoUsd}");
        Assert.True(answered >= 40, $"only {answered} of 200 answered under a budget for 50");

        var counter = await UntilAsync(() => cluster.CounterAsync(cluster.BurstBudgetId), c => c == (spent, 0, 0));
        Assert.Equal((spent, 0L, 0L), counter);
    }

    [Fact]
    public async Task A_rule_set_published_on_one_instance_decides_the_next_requests_of_another_process()
    {
        var ct = TestContext.Current.CancellationToken;
        using var onB = ProcessCluster.Client(cluster.B.BaseAddress);
        const string Prompt = "Quokkatron inventory: how many units are left in the south warehouse?";

        async Task<string?> RuleOnBAsync()
        {
            using var response = await onB.PostAsJsonAsync("/v1/chat/completions", ProcessCluster.Body("auto", Prompt), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.TryGetValues("x-costconsole-rule", out var rule) ? Uri.UnescapeDataString(rule.Single()) : null;
        }

        Assert.NotEqual("quokkatron", await RuleOnBAsync());

        var rules = cluster.A.Services.GetRequiredService<RuleSetService>();
        var draft = await rules.DraftAsync("alice", ct);
        var rule = new RuleDefinition { Name = "quokkatron", Conditions = [new KeywordCondition(KeywordMatch.Any, ["quokkatron"])], Action = RuleAction.ToTier("small") };
        var saved = await rules.SaveDraftAsync(draft.Definition with { Rules = [rule, .. draft.Definition.Rules] }, draft.ConcurrencyStamp, "alice", ct);
        Assert.True(saved.Done, string.Join(" ", saved.Errors));
        var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "quokkatron to small", "alice", ct);
        Assert.True(published.Done, string.Join(" ", published.Errors));

        // The version poll is off (an hour): only the notification through Redis can reach B.
        Assert.Equal("quokkatron", await UntilAsync(RuleOnBAsync, r => r == "quokkatron"));
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_another_process()
    {
        var ct = TestContext.Current.CancellationToken;
        var service = cluster.A.Services.GetRequiredService<KeyService>();
        var (created, key) = await service.CreateAsync(new KeyForm { Name = "short-lived", Team = "ops" }, "test", ct);
        Assert.True(created.Saved, created.Summary);
        using var onC = ProcessCluster.Client(cluster.C.BaseAddress, key!.Secret);

        async Task<(HttpStatusCode Status, string Body)> SendOnCAsync()
        {
            using var response = await onC.PostAsJsonAsync("/v1/chat/completions", ProcessCluster.Body("gpt-4.1-nano", "Say hello."), ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }

        Assert.Equal(HttpStatusCode.OK, (await UntilAsync(SendOnCAsync, r => r.Status == HttpStatusCode.OK)).Status);

        Assert.True(await service.RevokeAsync(key.Id, "test", ct));
        var refused = await UntilAsync(SendOnCAsync, r => r.Status == HttpStatusCode.Unauthorized);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.False(string.IsNullOrWhiteSpace(JsonDocument.Parse(refused.Body).RootElement.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task A_hub_client_on_one_process_receives_the_ticks_of_requests_served_by_another_and_they_add_up_to_the_ledger()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(cluster.B.BaseAddress, MetricsHub.Path), o => o.AccessTokenProvider = () => Task.FromResult<string?>(CostConsoleFactory.ApiKey))
            .Build();
        var ticks = new ConcurrentQueue<MetricsTick>();
        connection.On<MetricsTick>(MetricsHub.TickMethod, ticks.Enqueue);
        await connection.StartAsync(ct);
        // Every instance ticks each second, with or without traffic: wait for a quiet spell, so that no earlier
        // request is still to be ticked, and count from there.
        bool Quiet() => ticks.Count >= 6 && ticks.TakeLast(6).All(t => t.Requests == 0);
        Assert.True(await UntilAsync(() => Task.FromResult(Quiet()), quiet => quiet), "B's hub sent no quiet ticks.");
        var before = ticks.Count;

        using var onC = ProcessCluster.Client(cluster.C.BaseAddress);
        var ids = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await onC.PostAsJsonAsync("/v1/chat/completions", ProcessCluster.Body("auto", Metrics.TrafficSender.Faq), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.Add(response.Headers.GetValues("x-costconsole-request-id").Single());
        }

        await UntilAsync(() => Task.FromResult(ticks.Skip(before).Sum(t => t.Requests) >= ids.Count), covered => covered);
        var ledger = (await cluster.LedgerAsync(ct)).Where(r => ids.Contains(r.RequestId)).ToList();
        var received = ticks.Skip(before).ToList();
        Assert.Equal(ids.Count, ledger.Count);
        Assert.Equal(ledger.Count, received.Sum(t => t.Requests));
        Assert.Equal(Money.FromNanoUsd(ledger.Sum(r => r.CostNanoUsd)), received.Sum(t => t.Spend));
    }

    [Fact]
    public async Task A_sign_in_made_on_one_process_opens_the_console_on_another()
    {
        var ct = TestContext.Current.CancellationToken;
        var cookies = new CookieContainer();
        HttpClient Browser(Uri address) => new(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = address };
        using var onB = Browser(cluster.B.BaseAddress);
        using var onC = Browser(cluster.C.BaseAddress);

        using (var anonymous = await onC.GetAsync("/budgets", ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        }

        // The cookie jar is per host name, not port: what B sets is sent to C, as behind one balancer address.
        using (var signedIn = await CostConsoleFactory.SignInAsync(onB, CostConsoleFactory.AdminEmail, CostConsoleFactory.Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
            Assert.DoesNotContain("/signin", signedIn.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        using var console = await onC.GetAsync("/budgets", ct);
        Assert.Equal(HttpStatusCode.OK, console.StatusCode);
    }

    [Fact]
    public async Task An_instance_killed_under_load_loses_no_acknowledged_request_the_others_keep_serving_and_its_reservations_lapse()
    {
        var ct = TestContext.Current.CancellationToken;
        var doomed = await cluster.StartProcessAsync();
        var instances = new[] { cluster.A.BaseAddress, cluster.B.BaseAddress, doomed.BaseAddress };
        var clients = instances.Select(i => ProcessCluster.Client(i, cluster.SteadyKey.Secret)).ToArray();
        var acknowledged = new ConcurrentBag<string>();
        var afterKill = new ConcurrentBag<(Uri Instance, HttpStatusCode Status)>();
        var killed = 0;
        using var load = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var workers = Enumerable.Range(0, 12).Select(w => Task.Run(async () =>
        {
            for (var n = w; !load.IsCancellationRequested; n++)
            {
                var target = n % clients.Length;
                var sentAfterKill = Volatile.Read(ref killed) == 1;
                try
                {
                    using var response = await clients[target].PostAsJsonAsync("/v1/chat/completions", ProcessCluster.Body("gpt-4.1-mini", $"Where is my order {w}-{n}?"), load.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        acknowledged.Add(response.Headers.GetValues("x-costconsole-request-id").Single());
                    }

                    if (sentAfterKill && target != 2)
                    {
                        afterKill.Add((instances[target], response.StatusCode));
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
                {
                    // The kill cuts the doomed instance's requests in flight, and refuses its new ones: never acknowledged.
                }
            }
        }, ct)).ToArray();

        await UntilAsync(() => Task.FromResult(acknowledged.Count), count => count >= 150);
        doomed.Kill();
        Volatile.Write(ref killed, 1);
        await UntilAsync(() => Task.FromResult(afterKill.Count), count => count >= 60);
        await load.CancelAsync();
        await Task.WhenAll(workers);
        foreach (var client in clients)
        {
            client.Dispose();
        }

        Assert.True(acknowledged.Count >= 150, $"Only {acknowledged.Count} requests were answered before the kill.");
        Assert.True(afterKill.Count >= 60, $"Only {afterKill.Count} requests reached the surviving instances after the kill.");
        Assert.All(afterKill, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.Equal(2, afterKill.Select(r => r.Instance).Distinct().Count());

        var recorded = (await cluster.LedgerAsync(ct)).Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
        Assert.DoesNotContain(acknowledged, id => !recorded.Contains(id));

        // What the dead instance held lapses (15 s here); the shared counter then settles on the ledger's figure. The
        // ledger is read again each time: requests the load generator let go of may still be answered and recorded.
        var (spent, counter) = await UntilAsync(
            async () => (await LedgerSpendAsync(cluster.SteadyKey.Id), await cluster.CounterAsync(cluster.SteadyBudgetId)),
            pair => pair.Item2 == (pair.Item1, 0, 0),
            TimeSpan.FromSeconds(120));
        Assert.Equal((spent, 0L, 0L), counter);
    }

    [Fact]
    public async Task While_redis_is_down_a_process_refuses_budgeted_requests_with_a_503_naming_it_serves_the_others_and_recovers_when_it_is_back()
    {
        var ct = TestContext.Current.CancellationToken;
        using var budgetedOnB = ProcessCluster.Client(cluster.B.BaseAddress, cluster.SteadyKey.Secret);
        using var budgetedOnC = ProcessCluster.Client(cluster.C.BaseAddress, cluster.SteadyKey.Secret);
        using var unbudgetedOnB = ProcessCluster.Client(cluster.B.BaseAddress);

        async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient client)
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", ProcessCluster.Body("gpt-4.1-nano", "Say hello."), ct);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
        }

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(budgetedOnB)).Status);

        cluster.Redis.Stop();
        try
        {
            var refused = await SendAsync(budgetedOnB);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
            var error = JsonDocument.Parse(refused.Body).RootElement.GetProperty("error");
            Assert.Equal("budget_store_unavailable", error.GetProperty("code").GetString());
            Assert.Contains("Redis at " + cluster.Redis.Configuration, error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Contains("'Steady key'", error.GetProperty("message").GetString(), StringComparison.Ordinal);

            // A request under no budget does not need Redis.
            Assert.Equal(HttpStatusCode.OK, (await SendAsync(unbudgetedOnB)).Status);
        }
        finally
        {
            await cluster.Redis.StartAsync();
        }

        // Back, empty (no persistence): each instance reconnects, the counter starts again from the ledger, and
        // requests under the budget are served on every process.
        Assert.Equal(HttpStatusCode.OK, (await UntilAsync(() => SendAsync(budgetedOnB), r => r.Status == HttpStatusCode.OK)).Status);
        Assert.Equal(HttpStatusCode.OK, (await UntilAsync(() => SendAsync(budgetedOnC), r => r.Status == HttpStatusCode.OK)).Status);
        var spent = await LedgerSpendAsync(cluster.SteadyKey.Id);
        Assert.Equal((spent, 0L, 0L), await UntilAsync(() => cluster.CounterAsync(cluster.SteadyBudgetId), c => c == (spent, 0, 0)));
    }
}
