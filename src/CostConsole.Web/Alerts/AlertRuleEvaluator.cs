using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Alerts;

/// <summary>
/// Evaluates every enabled alert rule against the minute rollups. A rule is claimed before it is evaluated (a
/// conditional update of its last evaluation), so with several instances each evaluation runs once; a rule fires once
/// when its condition starts to hold and resolves, once, when it stops.
/// </summary>
internal sealed class AlertRuleEvaluator(IDbContextFactory<CostConsoleDbContext> factory, MetricsHistory history, AlertCenter alerts, AlertRuleDelivery delivery, TimeProvider time)
{
    /// <summary>How long after its last evaluation a rule is due again (a little under the schedule's minute).</summary>
    public static readonly TimeSpan Due = TimeSpan.FromSeconds(45);

    /// <summary>Evaluates the rules that are due; returns how many this instance evaluated.</summary>
    public async Task<int> EvaluateAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        List<long> ids;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            ids = await db.AlertRules.AsNoTracking().Where(r => r.Enabled).Select(r => r.Id).ToListAsync(cancellationToken);
        }

        var evaluated = 0;
        foreach (var id in ids)
        {
            if (await EvaluateAsync(id, now, cancellationToken))
            {
                evaluated++;
            }
        }

        return evaluated;
    }

    private async Task<bool> EvaluateAsync(long id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var due = now - Due;
        var claimed = await db.AlertRules
            .Where(r => r.Id == id && r.Enabled && (r.LastEvaluatedAt == null || r.LastEvaluatedAt <= due))
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.LastEvaluatedAt, now), cancellationToken);
        if (claimed == 0)
        {
            return false;
        }

        var rule = await db.AlertRules.SingleAsync(r => r.Id == id, cancellationToken);
        var filter = Filter(rule);
        var window = TimeSpan.FromMinutes(rule.WindowMinutes);

        // Whole minutes: the minute in progress is not in the rollups yet.
        var to = new DateTimeOffset(now.Ticks - (now.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        var value = await ValueAsync(db, rule.Metric, to - window, to, filter, baseline: false, cancellationToken);
        double? baseline = null;
        if (rule.Mode == AlertMode.Anomaly)
        {
            var earlier = new List<double>();
            for (var week = 1; week <= AlertRuleCheck.BaselineWeeks; week++)
            {
                var shift = TimeSpan.FromDays(7 * week);
                if (await ValueAsync(db, rule.Metric, to - window - shift, to - shift, filter, baseline: true, cancellationToken) is { } v)
                {
                    earlier.Add(v);
                }
            }

            baseline = earlier.Count > 0 ? earlier.Average() : null;
        }

        var breached = AlertRuleCheck.Breached(rule, value, baseline);
        ConsoleAlert? alert = null;
        AlertEventEntity? episode = null;
        if (breached && !rule.Firing)
        {
            rule.Firing = true;
            rule.FiringSince = now;
            var message = Fired(rule, value, baseline);
            episode = new AlertEventEntity
            {
                RuleId = rule.Id,
                RuleName = rule.Name,
                Metric = rule.Metric,
                Scope = rule.Scope,
                ScopeValue = rule.ScopeValue,
                Condition = Clip(AlertRuleCheck.Describe(rule)),
                Mode = rule.Mode,
                Threshold = rule.Threshold,
                Value = value,
                Baseline = baseline,
                FiredAt = now,
                FiredMessage = message,
            };
            db.AlertEvents.Add(episode);
            alert = new ConsoleAlert(now, ConsoleAlert.RuleFired, message);
        }
        else if (!breached && rule.Firing)
        {
            rule.Firing = false;
            rule.FiringSince = null;
            var message = $"Resolved: {rule.Name}. {AlertRuleCheck.MetricName(rule.Metric)} is {AlertRuleCheck.Format(rule.Metric, value)} over the last {rule.WindowMinutes} min.";
            episode = await db.AlertEvents.Where(e => e.RuleId == rule.Id && e.ResolvedAt == null).OrderByDescending(e => e.FiredAt).FirstOrDefaultAsync(cancellationToken);
            if (episode is not null)
            {
                episode.ResolvedAt = now;
                episode.ResolvedValue = value;
                episode.ResolvedMessage = message;
            }

            alert = new ConsoleAlert(now, ConsoleAlert.RuleResolved, message);
        }

        rule.LastValue = value;
        rule.LastBaseline = baseline;
        await db.SaveChangesAsync(cancellationToken);
        if (alert is not null)
        {
            alert = alert with { RuleId = rule.Id, AlertEventId = episode?.Id };
            alerts.Show(alert);
            delivery.Enqueue(new RuleAlertDelivery(alert, rule.Name, episode?.Id, alert.Kind == ConsoleAlert.RuleFired ? AlertStage.Fired : AlertStage.Resolved, rule.WebhookUrl, rule.WebhookFormat, rule.EmailTo));
        }

        return true;
    }

    /// <summary>The metric over [from, to); null when there was nothing to measure, and for a baseline week without traffic.</summary>
    private async Task<double?> ValueAsync(CostConsoleDbContext db, AlertMetric metric, DateTimeOffset from, DateTimeOffset to, MetricsFilter filter, bool baseline, CancellationToken cancellationToken)
    {
        if (AlertRuleCheck.FromLedger(metric))
        {
            return metric == AlertMetric.LatencyP95
                ? await AlertLedger.LatencyP95Async(db, from, to, filter, cancellationToken)
                : await AlertLedger.CacheHitRateAsync(db, from, to, filter, cancellationToken);
        }

        var totals = await history.TotalsAsync(from, to, filter, cancellationToken);
        return baseline && totals.Requests == 0 ? null : AlertRuleCheck.Value(metric, totals, to - from);
    }

    private static string Clip(string text) => text.Length <= AlertEventEntity.MaxText ? text : text[..AlertEventEntity.MaxText];

    private static string Fired(AlertRuleEntity rule, double? value, double? baseline)
    {
        var against = rule.Mode == AlertMode.Anomaly
            ? $"against {AlertRuleCheck.Format(rule.Metric, baseline)} in the same window of the previous weeks"
            : $"{(rule.Direction == AlertDirection.Above ? "above" : "below")} the threshold of {AlertRuleCheck.Format(rule.Metric, rule.Threshold)}";
        return $"{rule.Name}: {AlertRuleCheck.MetricName(rule.Metric)} of {AlertRuleCheck.ScopeName(rule.Scope, rule.ScopeValue)} is {AlertRuleCheck.Format(rule.Metric, value)} over the last {rule.WindowMinutes} min, {against}.";
    }

    internal static MetricsFilter Filter(AlertRuleEntity rule) => rule.Scope switch
    {
        AlertScope.Team => new MetricsFilter(Team: rule.ScopeValue),
        AlertScope.Key => new MetricsFilter(ApiKeyId: long.Parse(rule.ScopeValue!, CultureInfo.InvariantCulture)),
        AlertScope.Model => new MetricsFilter(Model: rule.ScopeValue),
        AlertScope.Rule => new MetricsFilter(Rule: rule.ScopeValue),
        _ => MetricsFilter.None,
    };
}

/// <summary>Runs the evaluator every minute.</summary>
internal sealed partial class AlertRuleSchedule(AlertRuleEvaluator evaluator, TimeProvider time, ILogger<AlertRuleSchedule> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await evaluator.EvaluateAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is DbUpdateException or System.Data.Common.DbException or InvalidOperationException)
                {
                    NotEvaluated(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert rules were not evaluated this minute; the next minute tries again.")]
    private static partial void NotEvaluated(ILogger logger, Exception exception);
}
