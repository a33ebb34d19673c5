using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Alerts;
using CostConsole.Web.Budgets;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Tests.Alerts;

/// <summary>Alert rules beyond budgets, evaluated from rollups written by hand, on a clock the test moves.</summary>
public sealed class AlertRuleTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 14, 0, 30, TimeSpan.Zero);

    private readonly ManualClock _clock = new(Start);
    private readonly AlertCenter _alerts = new();
    private CatalogueDatabase _database = null!;
    private MetricsHistory _history = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await CatalogueDatabase.CreateAsync();
        string connectionString;
        await using (var db = await _database.Factory.CreateDbContextAsync())
        {
            connectionString = db.Database.GetConnectionString()!;
        }

        _history = new MetricsHistory(new CostConsole.Data.Database.CostConsoleDatabase(CostConsole.Data.Database.DatabaseProvider.Sqlite, connectionString), _database.Routing, _database.Factory);
        await _database.QueryAsync(async db =>
        {
            db.ApiKeys.Add(new ApiKeyEntity { Name = "helpdesk", Team = "support", Prefix = "cc-hel", Hash = "h1", CreatedAt = Start.AddDays(-60) });
            return await db.SaveChangesAsync();
        });
    }

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    private AlertRuleEvaluator Evaluator() => new(_database.Factory, _history, _alerts, Delivery(), _clock);

    private AlertRuleDelivery Delivery() => new(
        _database.Factory,
        new ServiceCollection().AddHttpClient().BuildServiceProvider().GetRequiredService<IHttpClientFactory>(),
        Options.Create(new BudgetOptions()),
        Options.Create(new AlertEmailOptions()),
        _clock,
        NullLogger<AlertRuleDelivery>.Instance);

    private AlertRuleService Service() => new(_database.Factory, _history, _clock);

    [Fact]
    public async Task A_cost_per_request_rule_for_a_team_fires_once_while_it_holds_and_resolves_once_when_it_stops()
    {
        var ct = TestContext.Current.CancellationToken;
        // Ten requests at $0.10 each for support in the last hour; other teams' dearer requests do not count.
        await SeedAsync(Start.AddMinutes(-30), "support", requests: 10, costUsd: 1.00m);
        await SeedAsync(Start.AddMinutes(-20), "finance", requests: 1, costUsd: 5.00m);
        var saved = await Service().SaveAsync(new AlertRuleForm { Name = "Support requests got dear", Metric = AlertMetric.CostPerRequest, Scope = AlertScope.Team, ScopeValue = "support", Threshold = 0.05, WindowMinutes = 60 }, "ana", ct);
        Assert.True(saved.Saved, saved.Summary);

        Assert.Equal(1, await Evaluator().EvaluateAsync(ct));
        var fired = Assert.Single(_alerts.Recent());
        Assert.Equal(ConsoleAlert.RuleFired, fired.Kind);
        Assert.Equal("Support requests got dear: Cost per request of team support is $0.1 over the last 60 min, above the threshold of $0.05.", fired.Message);

        // Still holding a minute later: no second alert for the same episode.
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await Evaluator().EvaluateAsync(ct));
        Assert.Single(_alerts.Recent());

        // An hour later the window holds no support traffic: the episode resolves, once.
        _clock.Advance(TimeSpan.FromMinutes(60));
        await Evaluator().EvaluateAsync(ct);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Evaluator().EvaluateAsync(ct);
        Assert.Equal([ConsoleAlert.RuleResolved, ConsoleAlert.RuleFired], _alerts.Recent().Select(a => a.Kind));
        Assert.StartsWith("Resolved: Support requests got dear.", _alerts.Recent()[0].Message, StringComparison.Ordinal);
        Assert.False((await Service().ListAsync(ct)).Single().Firing);
    }

    [Fact]
    public async Task A_spend_anomaly_fires_against_the_same_hour_of_the_previous_weeks_and_not_below_its_factor()
    {
        var ct = TestContext.Current.CancellationToken;
        foreach (var week in new[] { 1, 2, 3 })
        {
            await SeedAsync(Start.AddDays(-7 * week).AddMinutes(-30), "support", requests: 10, costUsd: 1.00m);
        }

        await SeedAsync(Start.AddMinutes(-30), "support", requests: 10, costUsd: 4.00m);
        await Service().SaveAsync(new AlertRuleForm { Name = "Four times", Metric = AlertMetric.SpendRate, Mode = AlertMode.Anomaly, Threshold = 4, WindowMinutes = 60 }, "ana", ct);
        await Service().SaveAsync(new AlertRuleForm { Name = "Three times", Metric = AlertMetric.SpendRate, Mode = AlertMode.Anomaly, Threshold = 3, WindowMinutes = 60 }, "ana", ct);

        await Evaluator().EvaluateAsync(ct);

        var fired = Assert.Single(_alerts.Recent());
        Assert.Equal("Three times: Spend per hour of all traffic is $4.00 over the last 60 min, against $1.00 in the same window of the previous weeks.", fired.Message);
        var rules = await Service().ListAsync(ct);
        Assert.All(rules, r => Assert.Equal((4.0, 1.0), (r.LastValue!.Value, r.LastBaseline!.Value)));
    }

    [Fact]
    public async Task Two_instances_evaluating_the_same_minute_evaluate_each_rule_once_and_raise_one_alert()
    {
        var ct = TestContext.Current.CancellationToken;
        await SeedAsync(Start.AddMinutes(-10), "support", requests: 4, costUsd: 2.00m);
        await Service().SaveAsync(new AlertRuleForm { Name = "Any spend", Metric = AlertMetric.SpendRate, Threshold = 0.5, WindowMinutes = 60 }, "ana", ct);

        var evaluated = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => Evaluator().EvaluateAsync(ct), ct)));

        Assert.Equal(1, evaluated.Sum());
        Assert.Single(_alerts.Recent());
    }

    [Theory]
    [InlineData("", AlertMetric.SpendRate, AlertScope.Global, null, AlertMode.Threshold, 1.0, 60, null, "Give the rule a name.")]
    [InlineData("r", AlertMetric.SpendRate, AlertScope.Team, "nobody", AlertMode.Threshold, 1.0, 60, null, "There is no team 'nobody'.")]
    [InlineData("r", AlertMetric.ErrorRate, AlertScope.Global, null, AlertMode.Threshold, 150.0, 60, null, "A rate's threshold is a percentage from 0 to 100.")]
    [InlineData("r", AlertMetric.SpendRate, AlertScope.Global, null, AlertMode.Anomaly, 1.0, 60, null, "The factor against the baseline is more than 1 (e.g. 2 for twice) and at most 100.")]
    [InlineData("r", AlertMetric.CostPerRequest, AlertScope.Global, null, AlertMode.Threshold, -1.0, 60, null, "A threshold in USD cannot be negative.")]
    [InlineData("r", AlertMetric.SpendRate, AlertScope.Global, null, AlertMode.Threshold, 1.0, 2, null, "The window is from 5 to 1440 minutes.")]
    [InlineData("r", AlertMetric.SpendRate, AlertScope.Global, null, AlertMode.Threshold, 1.0, 60, "ftp://hooks.example", "The webhook is an http or https address.")]
    public async Task A_rule_that_makes_no_sense_is_refused_with_the_reason_and_nothing_is_saved(
        string name, AlertMetric metric, AlertScope scope, string? value, AlertMode mode, double threshold, int window, string? webhook, string message)
    {
        var ct = TestContext.Current.CancellationToken;

        var result = await Service().SaveAsync(new AlertRuleForm { Name = name, Metric = metric, Scope = scope, ScopeValue = value, Mode = mode, Threshold = threshold, WindowMinutes = window, WebhookUrl = webhook }, "ana", ct);

        Assert.False(result.Saved);
        Assert.Equal(message, result.Summary);
        Assert.Empty(await Service().ListAsync(ct));
    }

    [Fact]
    public async Task A_rate_threshold_is_entered_in_percent_and_saving_and_deleting_are_audited()
    {
        var ct = TestContext.Current.CancellationToken;
        var saved = await Service().SaveAsync(new AlertRuleForm { Name = "Savings fell", Metric = AlertMetric.SavingsRate, Direction = AlertDirection.Below, Threshold = 40, WindowMinutes = 120 }, "ana", ct);
        var rule = (await Service().ListAsync(ct)).Single();

        Assert.Equal(0.40, rule.Threshold, 9);
        Assert.Equal("Savings rate of all traffic below 40 % over 120 min", AlertRuleCheck.Describe(rule));
        Assert.Equal(40, AlertRuleForm.From(rule).Threshold!.Value, 9);
        Assert.True(await Service().DeleteAsync(saved.Id!.Value, "ana", ct));
        await using var db = await _database.Factory.CreateDbContextAsync(ct);
        Assert.Equal(["alert-rule.create", "alert-rule.delete"], await db.AuditLog.Where(a => a.Action.StartsWith("alert-rule.")).OrderBy(a => a.Id).Select(a => a.Action).ToListAsync(ct));
    }

    [Fact]
    public async Task A_p95_latency_rule_reads_the_exact_percentile_from_the_ledger_and_its_episode_is_kept_in_the_history_across_a_restart()
    {
        var ct = TestContext.Current.CancellationToken;
        // Twenty support requests of 100, 200 … 2,000 ms: the 95th percentile by nearest rank is the 19th, 1,900 ms.
        // A slower finance request does not count.
        await LedgerAsync(Enumerable.Range(1, 20).Select(i => Row(Start.AddMinutes(-40 + i), "support", latencyMs: 100 * i)));
        await LedgerAsync([Row(Start.AddMinutes(-5), "finance", latencyMs: 60_000)]);
        var saved = await Service().SaveAsync(new AlertRuleForm { Name = "Support is slow", Metric = AlertMetric.LatencyP95, Scope = AlertScope.Team, ScopeValue = "support", Threshold = 1500, WindowMinutes = 60 }, "ana", ct);
        Assert.True(saved.Saved, saved.Summary);
        Assert.Equal("p95 latency of team support above 1,500 ms over 60 min", AlertRuleCheck.Describe((await Service().ListAsync(ct)).Single()));

        await Evaluator().EvaluateAsync(ct);
        Assert.Equal("Support is slow: p95 latency of team support is 1,900 ms over the last 60 min, above the threshold of 1,500 ms.", Assert.Single(_alerts.Recent()).Message);
        _clock.Advance(TimeSpan.FromMinutes(1));
        await Evaluator().EvaluateAsync(ct);
        _clock.Advance(TimeSpan.FromMinutes(61));
        await Evaluator().EvaluateAsync(ct);

        var history = await new AlertHistory(_database.Factory).PageAsync(saved.Id, AlertEventState.All, 1, ct);
        var episode = Assert.Single(history.Events);
        Assert.Equal(("Support is slow", 1900.0, 1500.0, Start), (episode.RuleName, episode.Value!.Value, episode.Threshold, episode.FiredAt));
        Assert.Equal(Start.AddMinutes(62), episode.ResolvedAt);
        Assert.Empty((await new AlertHistory(_database.Factory).PageAsync(saved.Id, AlertEventState.Firing, 1, ct)).Events);

        // After a restart the bell shows the rule's firing and resolution as rule alerts, not as budget alerts.
        var restarted = new AlertCenter();
        await restarted.LoadAsync(_database.Factory, ct);
        Assert.Equal([ConsoleAlert.RuleResolved, ConsoleAlert.RuleFired], restarted.Recent().Select(a => a.Kind));
        Assert.All(restarted.Recent(), a => Assert.Equal(saved.Id, a.RuleId));
        Assert.StartsWith("Resolved: Support is slow.", restarted.Recent()[0].Message, StringComparison.Ordinal);
        await using var db = await _database.Factory.CreateDbContextAsync(ct);
        Assert.Empty(await db.BudgetAlerts.ToListAsync(ct));
    }

    [Fact]
    public async Task A_cache_hit_rate_rule_for_one_routing_rule_counts_that_rules_hits_and_misses_only()
    {
        var ct = TestContext.Current.CancellationToken;
        await _database.QueryAsync(async db =>
        {
            db.HourRollups.Add(new HourRollupRow { Start = Start.AddHours(-1).ToUnixTimeMilliseconds(), Rule = "faq", Requests = 1 });
            return await db.SaveChangesAsync();
        });
        // For faq: 3 exact and 1 semantic hit, 4 misses and 2 bypasses, so 4 of 8 lookups hit (50 %); another rule only misses.
        var levels = new[] { "exact", "exact", "exact", "semantic", "miss", "miss", "miss", "miss", "bypass", "bypass" };
        await LedgerAsync(levels.Select((level, i) => Row(Start.AddMinutes(-30 + i), "support", cacheLevel: level, rule: "faq")));
        await LedgerAsync(Enumerable.Range(0, 10).Select(i => Row(Start.AddMinutes(-20 + i), "support", cacheLevel: "miss", rule: "other")));
        var unknown = await Service().SaveAsync(new AlertRuleForm { Name = "FAQ cache", Metric = AlertMetric.CacheHitRate, Scope = AlertScope.Rule, ScopeValue = "nope", Direction = AlertDirection.Below, Threshold = 60, WindowMinutes = 60 }, "ana", ct);
        Assert.Equal("There is no routing rule 'nope' in the published rule set or the traffic so far.", unknown.Summary);
        var saved = await Service().SaveAsync(new AlertRuleForm { Name = "FAQ cache", Metric = AlertMetric.CacheHitRate, Scope = AlertScope.Rule, ScopeValue = "faq", Direction = AlertDirection.Below, Threshold = 60, WindowMinutes = 60 }, "ana", ct);
        Assert.True(saved.Saved, saved.Summary);

        await Evaluator().EvaluateAsync(ct);

        Assert.Equal("FAQ cache: Cache hit rate of rule faq is 50 % over the last 60 min, below the threshold of 60 %.", Assert.Single(_alerts.Recent()).Message);
        Assert.Equal(0.5, (await Service().ListAsync(ct)).Single().LastValue!.Value, 9);
    }

    [Fact]
    public async Task A_rule_of_the_published_rule_set_can_be_watched_before_any_traffic_and_a_rule_gone_from_the_set_still_can()
    {
        var ct = TestContext.Current.CancellationToken;
        await _database.QueryAsync(async db =>
        {
            // Traffic routed by a rule that the published set no longer has.
            db.HourRollups.Add(new HourRollupRow { Start = Start.AddHours(-5).ToUnixTimeMilliseconds(), Rule = "retired-promo", Requests = 3 });
            return await db.SaveChangesAsync();
        });

        var offered = (await _history.ChoicesAsync(ct)).Rules;
        var unseen = await Service().SaveAsync(new AlertRuleForm { Name = "Long prompts cost", Metric = AlertMetric.CostPerRequest, Scope = AlertScope.Rule, ScopeValue = "long-context", Threshold = 0.5, WindowMinutes = 60 }, "ana", ct);
        var retired = await Service().SaveAsync(new AlertRuleForm { Name = "Promo spend", Metric = AlertMetric.SpendRate, Scope = AlertScope.Rule, ScopeValue = "retired-promo", Threshold = 5, WindowMinutes = 60 }, "ana", ct);
        var unknown = await Service().SaveAsync(new AlertRuleForm { Name = "Typo", Metric = AlertMetric.SpendRate, Scope = AlertScope.Rule, ScopeValue = "long-contxt", Threshold = 5, WindowMinutes = 60 }, "ana", ct);

        Assert.Equal(["analysis", "long-context", "faq-and-status", "retired-promo"], offered);
        Assert.True(unseen.Saved, unseen.Summary);
        Assert.True(retired.Saved, retired.Summary);
        Assert.False(unknown.Saved);
        Assert.Equal(["Long prompts cost", "Promo spend"], (await Service().ListAsync(ct)).Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    private Task LedgerAsync(IEnumerable<RequestLogRow> rows) => _database.QueryAsync(async db =>
    {
        db.RequestLog.AddRange(rows);
        return await db.SaveChangesAsync();
    });

    private static RequestLogRow Row(DateTimeOffset at, string team, double latencyMs = 100, string? cacheLevel = null, string? rule = null) => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        Team = team,
        Rule = rule,
        LatencyMs = latencyMs,
        CacheLevel = cacheLevel,
        HttpStatus = 200,
    };

    private Task SeedAsync(DateTimeOffset at, string team, long requests, decimal costUsd) => _database.QueryAsync(async db =>
    {
        var minute = at.ToUnixTimeMilliseconds() - (at.ToUnixTimeMilliseconds() % 60_000);
        db.MinuteRollups.Add(new MinuteRollupRow
        {
            Start = minute,
            Team = team,
            Tier = "small",
            Model = "simulator/gpt-4.1-mini",
            Requests = requests,
            Answered = requests,
            CostNanoUsd = Money.ToNanoUsd(costUsd),
            BaselineCostNanoUsd = Money.ToNanoUsd(costUsd * 3),
        });
        return await db.SaveChangesAsync();
    });

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public void Advance(TimeSpan by) => _now += by;

        public override DateTimeOffset GetUtcNow() => _now;
    }
}
