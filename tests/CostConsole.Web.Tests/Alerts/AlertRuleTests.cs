using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Alerts;
using CostConsole.Web.Budgets;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

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

    private AlertRuleEvaluator Evaluator() => new(_database.Factory, _history, _alerts, _clock);

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
