using CostConsole.Routing.Caching;
using CostConsole.Web.Caching;
using CostConsole.Web.Cluster;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

/// <summary>A cache policy saved in the console of one instance is in force on the others through the change notifications (the version poll set to an hour).</summary>
public sealed class CachePolicyNotificationTests : IAsyncLifetime
{
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task A_rule_policy_saved_on_one_instance_is_in_force_on_the_other_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis, settings: new()
        {
            ["CostConsole:Redis:VersionPollSeconds"] = "3600",
            ["CostConsole:Cache:Enabled"] = "true",
        });
        var changesOnB = cluster.B.Services.GetRequiredService<ClusterChanges>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (changesOnB.Polls == 0 && DateTime.UtcNow < deadline)
        {
            // Listening: its first poll follows its subscription.
            await Task.Delay(20, ct);
        }

        var onA = cluster.A.Services.GetRequiredService<CachePolicies>();
        var cacheOnB = cluster.B.Services.GetRequiredService<ResponseCache>();
        Assert.Equal(0.9, cacheOnB.Settings.For("faq-and-status").Threshold);

        Assert.True((await onA.SaveAsync(new CachePolicyForm { Rule = "faq-and-status", Threshold = 0.96, Scope = CacheScope.Team }, onA.Stamp, "alice", ct)).Saved);

        deadline = DateTime.UtcNow.AddSeconds(10);
        while (cacheOnB.Settings.For("faq-and-status").Threshold != 0.96 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20, ct);
        }

        Assert.Equal((0.96, CacheScope.Team), (cacheOnB.Settings.For("faq-and-status").Threshold, cacheOnB.Settings.For("faq-and-status").Scope));
        Assert.Equal(onA.Stamp, cluster.B.Services.GetRequiredService<CachePolicies>().Stamp);
    }
}
