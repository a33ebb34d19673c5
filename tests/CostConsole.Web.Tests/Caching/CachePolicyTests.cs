using CostConsole.Data.Entities;
using CostConsole.Routing.Caching;
using CostConsole.Web.Caching;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Caching;

/// <summary>The cache policies edited in the console: kept in the database, put in force at once and after a restart, checked, audited, and refused over a change saved meanwhile.</summary>
public sealed class CachePolicyTests : IAsyncLifetime
{
    private CatalogueDatabase _database = null!;

    public async ValueTask InitializeAsync() => _database = await CatalogueDatabase.CreateAsync();

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    /// <summary>One instance's cache and its policies, as the app starts them: the configuration's settings, then what the database holds.</summary>
    private async Task<(ResponseCache Cache, CachePolicies Policies)> StartAsync(CacheSettings? configured = null)
    {
        var cache = new ResponseCache(new CacheEntryStore(_database.Factory), TimeProvider.System);
        cache.Apply(configured ?? new CacheSettings { Enabled = true });
        var policies = new CachePolicies(cache, _database.Factory, TimeProvider.System, _database.Routing);
        await policies.LoadAsync(TestContext.Current.CancellationToken);
        return (cache, policies);
    }

    [Fact]
    public async Task A_rule_policy_saved_in_the_console_is_in_force_at_once_audited_and_still_in_force_after_a_restart()
    {
        var (cache, policies) = await StartAsync();
        var form = new CachePolicyForm { Rule = "faq-and-status", Threshold = 0.93, TimeToLiveHours = 2, MaxTurns = 3, MaxTemperature = 0.5, Tiers = ["small"], Scope = CacheScope.Team };

        var change = await policies.SaveAsync(form, policies.Stamp, "alice");

        Assert.True(change.Saved, change.Problem);
        var policy = cache.Settings.For("faq-and-status");
        Assert.Equal((0.93, TimeSpan.FromHours(2), 3, 0.5, CacheScope.Team), (policy.Threshold, policy.TimeToLive, policy.MaxTurns, policy.MaxTemperature, policy.Scope));
        Assert.Equal(["small"], policy.Tiers);
        Assert.Equal(0.9, cache.Settings.Default.Threshold);
        Assert.True(cache.Settings.Enabled);
        var audit = await _database.QueryAsync(db => db.AuditLog.AsNoTracking().SingleAsync(a => a.Action == "cache.policy"));
        Assert.Equal(("alice", "cache policy of rule faq-and-status"), (audit.Actor, audit.Subject));
        Assert.Contains("similarity ≥ 0.93", audit.Details, StringComparison.Ordinal);

        var (restarted, _) = await StartAsync(new CacheSettings { Enabled = true, Default = new CachePolicy { Threshold = 0.85 } });
        Assert.Equal(0.93, restarted.Settings.For("faq-and-status").Threshold);
        Assert.Equal(["small"], restarted.Settings.For("faq-and-status").Tiers);
        Assert.Equal(0.9, restarted.Settings.Default.Threshold);
    }

    [Fact]
    public async Task A_policy_with_problems_is_refused_with_every_reason_and_changes_nothing()
    {
        var (cache, policies) = await StartAsync();
        var before = cache.Settings;
        var form = new CachePolicyForm { Threshold = 1.5, TimeToLiveHours = 0, MaxTurns = 0, MaxTemperature = 3, Tiers = ["huge"] };

        var change = await policies.SaveAsync(form, policies.Stamp, "alice");

        Assert.False(change.Saved);
        Assert.Contains("The similarity threshold must be above 0 and at most 1, e.g. 0.9 (it is 1.5).", change.Problem, StringComparison.Ordinal);
        Assert.Contains("Keep answers for at least a minute", change.Problem, StringComparison.Ordinal);
        Assert.Contains("1 to 100 user turns (it is 0)", change.Problem, StringComparison.Ordinal);
        Assert.Contains("between 0 and 2 (it is 3)", change.Problem, StringComparison.Ordinal);
        Assert.Contains("Unknown tier 'huge'; the tiers are small, medium, large.", change.Problem, StringComparison.Ordinal);
        Assert.Same(before, cache.Settings);
        Assert.False(await _database.QueryAsync(db => db.CacheSettings.AnyAsync()));
        Assert.False(await _database.QueryAsync(db => db.AuditLog.AnyAsync(a => a.Action == "cache.policy")));

        var unknownRule = await policies.SaveAsync(new CachePolicyForm { Rule = "no-such-rule" }, policies.Stamp, "alice");
        Assert.Equal("There is no rule named 'no-such-rule' in the published rule set; choose one of its rules or edit the default policy.", unknownRule.Problem);
    }

    [Fact]
    public async Task An_edit_opened_before_another_instance_saved_is_refused_and_the_other_change_is_put_in_force()
    {
        var (cacheA, onA) = await StartAsync();
        var (cacheB, onB) = await StartAsync();
        var openedOnA = onA.Stamp;
        Assert.True((await onB.SaveAsync(new CachePolicyForm { Threshold = 0.95 }, onB.Stamp, "bob")).Saved);

        var stale = await onA.SaveAsync(new CachePolicyForm { Threshold = 0.8 }, openedOnA, "alice");

        Assert.False(stale.Saved);
        Assert.StartsWith("The cache policies were changed by bob at ", stale.Problem, StringComparison.Ordinal);
        Assert.Equal(0.95, cacheA.Settings.Default.Threshold);
        Assert.Equal(0.95, cacheB.Settings.Default.Threshold);
        Assert.Equal(onB.Stamp, onA.Stamp);
        var stored = await _database.QueryAsync(db => db.CacheSettings.AsNoTracking().SingleAsync());
        Assert.Equal("bob", stored.UpdatedBy);

        // Started again from what is in force now, the same edit is saved.
        Assert.True((await onA.SaveAsync(new CachePolicyForm { Threshold = 0.8 }, onA.Stamp, "alice")).Saved);
        Assert.Equal(0.8, cacheA.Settings.Default.Threshold);
    }

    [Fact]
    public async Task A_threshold_set_for_a_rule_without_its_own_policy_copies_the_default_and_taking_it_back_restores_the_default()
    {
        var (cache, policies) = await StartAsync(new CacheSettings { Enabled = true, Default = new CachePolicy { Threshold = 0.9, MaxTurns = 2, Scope = CacheScope.Team } });

        Assert.True((await policies.SetThresholdAsync("faq-and-status", 0.93, policies.Stamp, "alice")).Saved);

        var rule = cache.Settings.For("faq-and-status");
        Assert.Equal((0.93, 2, CacheScope.Team), (rule.Threshold, rule.MaxTurns, rule.Scope));
        Assert.Equal(0.9, cache.Settings.Default.Threshold);

        Assert.True((await policies.RemoveAsync("faq-and-status", policies.Stamp, "alice")).Saved);
        Assert.Same(cache.Settings.Default, cache.Settings.For("faq-and-status"));
        var (restarted, _) = await StartAsync();
        Assert.Equal(0.9, restarted.Settings.For("faq-and-status").Threshold);
        Assert.Empty(restarted.Settings.Rules);
    }
}
