using System.Net;
using System.Net.Http.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using CostConsole.Web.Cluster;
using CostConsole.Web.Keys;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// The safety net under the Redis notifications: every instance polls the database's change versions, so a change whose
/// notification is lost (Redis down when it was made, a dropped subscription) still reaches it, and nothing is
/// reloaded while nothing changes.
/// </summary>
public sealed class ChangeVersionPollTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private async Task<Cluster> StartAsync(CancellationToken ct)
    {
        var cluster = await Cluster.StartAsync(_redis, settings: new() { ["CostConsole:Redis:VersionPollSeconds"] = "0.2" });

        // Both instances have subscribed and read the versions they start from.
        await UntilAsync(() => Task.FromResult(Changes(cluster.A).Polls + Changes(cluster.B).Polls), _ => Changes(cluster.A).Polls > 0 && Changes(cluster.B).Polls > 0, ct);
        return cluster;
    }

    internal static ClusterChanges Changes(CostConsoleFactory host) => host.Services.GetRequiredService<ClusterChanges>();

    private static object Body(string prompt) => new { model = "auto", max_tokens = 20, messages = new[] { new { role = "user", content = prompt } } };

    /// <summary>Calls <paramref name="read"/> until <paramref name="done"/> holds, for up to twenty seconds; returns the last value.</summary>
    internal static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> done, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        T last;
        while (!done(last = await read()) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        return last;
    }

    /// <summary>Drops the instance's subscription to the change notifications: every message published from now on is lost to it.</summary>
    private static async Task DropNotificationsAsync(ClusterHost host)
    {
        var redis = host.Services.GetRequiredService<RedisStore>();
        await redis.Subscriber.UnsubscribeAsync(redis.Channel("changes"));
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, CancellationToken ct)
    {
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", Body("Say hello."), ct);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_rule_set_published_while_redis_is_down_decides_the_other_instances_requests_through_the_database()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await StartAsync(ct);
        await PublishWhileRedisIsDownAsync(cluster.A, cluster.B, _redis, ct);
    }

    /// <summary>Publishes a rule set on <paramref name="a"/> while Redis is stopped; <paramref name="b"/> must decide by it within the deadline.</summary>
    internal static async Task PublishWhileRedisIsDownAsync(CostConsoleFactory a, CostConsoleFactory b, RedisServer redis, CancellationToken ct)
    {
        using var onB = b.CreateApiClient();
        const string Prompt = "Zebracorn inventory: how many units are left in the north warehouse?";

        async Task<string?> RuleOnBAsync()
        {
            using var response = await onB.PostAsJsonAsync("/v1/chat/completions", Body(Prompt), ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.TryGetValues("x-costconsole-rule", out var rule) ? Uri.UnescapeDataString(rule.Single()) : null;
        }

        Assert.NotEqual("zebracorn", await RuleOnBAsync());

        redis.Stop();
        try
        {
            // Published while no notification can be sent or received.
            var rules = a.Services.GetRequiredService<RuleSetService>();
            var draft = await rules.DraftAsync("alice", ct);
            var zebracorn = new RuleDefinition { Name = "zebracorn", Conditions = [new KeywordCondition(KeywordMatch.Any, ["zebracorn"])], Action = RuleAction.ToTier("small") };
            var saved = await rules.SaveDraftAsync(draft.Definition with { Rules = [zebracorn, .. draft.Definition.Rules] }, draft.ConcurrencyStamp, "alice", ct);
            Assert.True(saved.Done, string.Join(" ", saved.Errors));
            var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "zebracorn to small", "alice", ct);
            Assert.True(published.Done, string.Join(" ", published.Errors));

            Assert.Equal("zebracorn", await UntilAsync(RuleOnBAsync, rule => rule == "zebracorn", ct));
            Assert.Equal(a.Services.GetRequiredService<RoutingState>().Current.RuleSetVersion, b.Services.GetRequiredService<RoutingState>().Current.RuleSetVersion);
        }
        finally
        {
            await redis.StartAsync();
        }
    }

    [Fact]
    public async Task A_key_revoked_on_one_instance_is_refused_by_the_other_that_lost_the_notification()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await StartAsync(ct);
        var service = cluster.A.Services.GetRequiredService<KeyService>();
        var (created, key) = await service.CreateAsync(new KeyForm { Name = "short-lived", Team = "ops" }, "test", ct);
        Assert.True(created.Saved, created.Summary);
        using var onB = cluster.B.CreateApiClient(key!.Secret);
        Assert.Equal(HttpStatusCode.OK, await UntilAsync(() => SendAsync(onB, ct), status => status == HttpStatusCode.OK, ct));

        await DropNotificationsAsync(cluster.B);
        Assert.True(await service.RevokeAsync(key.Id, "test", ct));

        Assert.Equal(HttpStatusCode.Unauthorized, await UntilAsync(() => SendAsync(onB, ct), status => status == HttpStatusCode.Unauthorized, ct));
    }

    [Fact]
    public async Task The_poll_reloads_once_per_change_and_never_while_nothing_changes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await StartAsync(ct);
        var onB = Changes(cluster.B);
        var routingReloads = 0;
        cluster.B.Services.GetRequiredService<RoutingState>().Published += _ => Interlocked.Increment(ref routingReloads);

        // Several polls with no change: nothing is reloaded.
        var polls = onB.Polls;
        await UntilAsync(() => Task.FromResult(onB.Polls), p => p >= polls + 5, ct);
        Assert.True(onB.Polls >= polls + 5, "The instance stopped polling the database.");
        Assert.Equal(0, onB.Reloads);
        Assert.Equal(0, Volatile.Read(ref routingReloads));

        // A change whose notification is lost is reloaded once, by the poll, and not again.
        await DropNotificationsAsync(cluster.B);
        var service = cluster.A.Services.GetRequiredService<KeyService>();
        var (created, key) = await service.CreateAsync(new KeyForm { Name = "polled", Team = "ops" }, "test", ct);
        Assert.True(created.Saved, created.Summary);
        using var client = cluster.B.CreateApiClient(key!.Secret);
        Assert.Equal(HttpStatusCode.OK, await UntilAsync(() => SendAsync(client, ct), status => status == HttpStatusCode.OK, ct));
        Assert.Equal(1, onB.Reloads);

        polls = onB.Polls;
        await UntilAsync(() => Task.FromResult(onB.Polls), p => p >= polls + 5, ct);
        Assert.Equal(1, onB.Reloads);
        Assert.Equal(0, Volatile.Read(ref routingReloads));
    }
}
