using System.Globalization;
using CostConsole.Data.Entities;
using CostConsole.Web.Metrics;

namespace CostConsole.Web.Alerts;

/// <summary>What a rule's metric is over a window, whether it breaks the rule, and how to say so.</summary>
internal static class AlertRuleCheck
{
    /// <summary>How many earlier weeks the anomaly baseline averages (the same window, a week, two and three weeks back).</summary>
    public const int BaselineWeeks = 3;

    public static bool IsShare(AlertMetric metric) => metric is not (AlertMetric.SpendRate or AlertMetric.CostPerRequest or AlertMetric.LatencyP95);

    /// <summary>Metrics the rollups cannot give exactly, read from the ledger rows of the window instead.</summary>
    public static bool FromLedger(AlertMetric metric) => metric is AlertMetric.LatencyP95 or AlertMetric.CacheHitRate;

    /// <summary>The metric over the window; null when there was nothing to divide.</summary>
    public static double? Value(AlertMetric metric, MetricsTotals totals, TimeSpan window) => metric switch
    {
        AlertMetric.SpendRate => (double)totals.Spend / window.TotalHours,
        AlertMetric.CostPerRequest => totals.Requests > 0 ? (double)totals.Spend / totals.Requests : null,
        AlertMetric.SavingsRate => totals.SavingsRate,
        AlertMetric.ErrorRate => totals.ErrorRate,
        AlertMetric.FallbackRate => totals.FallbackRate,
        AlertMetric.EscalationRate => totals.EscalationRate,
        AlertMetric.CacheReadShare => totals.CacheReadShare,
        _ => null,
    };

    /// <summary>
    /// A threshold rule breaks when the value is past its threshold; an anomaly rule when the value is the factor times
    /// the baseline (above) or a factor-th of it (below). Without a value, or without a baseline to compare, nothing breaks.
    /// </summary>
    public static bool Breached(AlertRuleEntity rule, double? value, double? baseline)
    {
        if (value is not { } v)
        {
            return false;
        }

        if (rule.Mode == AlertMode.Threshold)
        {
            return rule.Direction == AlertDirection.Above ? v > rule.Threshold : v < rule.Threshold;
        }

        if (baseline is not { } b || b <= 0)
        {
            return false;
        }

        return rule.Direction == AlertDirection.Above ? v > b * rule.Threshold : v < b / rule.Threshold;
    }

    public static string MetricName(AlertMetric metric) => metric switch
    {
        AlertMetric.SpendRate => "Spend per hour",
        AlertMetric.CostPerRequest => "Cost per request",
        AlertMetric.SavingsRate => "Savings rate",
        AlertMetric.ErrorRate => "Error rate",
        AlertMetric.FallbackRate => "Fallback rate",
        AlertMetric.EscalationRate => "Escalation rate",
        AlertMetric.LatencyP95 => "p95 latency",
        AlertMetric.CacheHitRate => "Cache hit rate",
        _ => "Cache read share",
    };

    public static string ScopeName(AlertScope scope, string? value, string? keyName = null) => scope switch
    {
        AlertScope.Global => "all traffic",
        AlertScope.Team => $"team {value}",
        AlertScope.Key => $"key {keyName ?? "#" + value}",
        AlertScope.Rule => $"rule {value}",
        _ => $"model {value}",
    };

    public static string Format(AlertMetric metric, double? value) => value switch
    {
        null => "—",
        { } v when IsShare(metric) => (v * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %",
        { } v when metric == AlertMetric.LatencyP95 => v.ToString("#,0", CultureInfo.InvariantCulture) + " ms",
        { } v => "$" + v.ToString(v >= 1 ? "0.00" : "0.####", CultureInfo.InvariantCulture),
    };

    /// <summary>The rule's condition in words, e.g. "Cost per request of team support above $0.05 over 60 min".</summary>
    public static string Describe(AlertRuleEntity rule, string? keyName = null)
    {
        var what = $"{MetricName(rule.Metric)} of {ScopeName(rule.Scope, rule.ScopeValue, keyName)}";
        var direction = rule.Direction == AlertDirection.Above ? "above" : "below";
        var condition = rule.Mode == AlertMode.Threshold
            ? $"{direction} {Format(rule.Metric, rule.Threshold)}"
            : $"{(rule.Direction == AlertDirection.Above ? rule.Threshold.ToString("0.##", CultureInfo.InvariantCulture) + "×" : "1/" + rule.Threshold.ToString("0.##", CultureInfo.InvariantCulture) + " of")} the same window of the previous {BaselineWeeks} weeks";
        return $"{what} {condition} over {rule.WindowMinutes} min";
    }
}
