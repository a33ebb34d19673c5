namespace CostConsole.Data.Entities;

/// <summary>What an alert rule watches, summed from the minute rollups over its window.</summary>
public enum AlertMetric
{
    /// <summary>Spend in USD per hour.</summary>
    SpendRate,

    /// <summary>Spend per request, USD.</summary>
    CostPerRequest,

    /// <summary>Savings as a share of the baseline.</summary>
    SavingsRate,

    /// <summary>Failed and rejected requests as a share of all.</summary>
    ErrorRate,

    /// <summary>Requests that needed a fallback, as a share of all.</summary>
    FallbackRate,

    /// <summary>Requests escalated at least once, as a share of all.</summary>
    EscalationRate,

    /// <summary>Prompt tokens read from the providers' prompt caches, as a share of all prompt tokens.</summary>
    CacheReadShare,
}

/// <summary>Whose traffic a rule watches.</summary>
public enum AlertScope
{
    Global,
    Team,
    Key,
    Model,
}

/// <summary>A fixed threshold, or an anomaly against the same window of the previous weeks.</summary>
public enum AlertMode
{
    Threshold,
    Anomaly,
}

public enum AlertDirection
{
    Above,
    Below,
}

/// <summary>
/// An alert rule beyond budgets. It fires once when its condition starts to hold (an episode) and resolves when it
/// stops; <see cref="LastEvaluatedAt"/> is claimed with a conditional update, so one instance evaluates it each time.
/// </summary>
public sealed class AlertRuleEntity
{
    public const int MaxName = 80;

    public long Id { get; set; }

    public required string Name { get; set; }

    public AlertMetric Metric { get; set; }

    public AlertScope Scope { get; set; }

    /// <summary>The team name, key id or model reference; null for <see cref="AlertScope.Global"/>.</summary>
    public string? ScopeValue { get; set; }

    public AlertMode Mode { get; set; }

    public AlertDirection Direction { get; set; }

    /// <summary>The threshold in the metric's unit (USD, or a share 0–1); in anomaly mode, the factor against the baseline.</summary>
    public double Threshold { get; set; }

    /// <summary>The trailing window the metric is summed over, in minutes.</summary>
    public int WindowMinutes { get; set; }

    public string? WebhookUrl { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>True while the condition holds, so an episode fires once.</summary>
    public bool Firing { get; set; }

    public DateTimeOffset? FiringSince { get; set; }

    public double? LastValue { get; set; }

    public double? LastBaseline { get; set; }

    public DateTimeOffset? LastEvaluatedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }
}
