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

    /// <summary>The 95th percentile of request latency, milliseconds, exact from the ledger.</summary>
    LatencyP95,

    /// <summary>Response-cache hits (exact or semantic) as a share of the lookups that hit or missed, from the ledger.</summary>
    CacheHitRate,
}

/// <summary>Whose traffic a rule watches.</summary>
public enum AlertScope
{
    Global,
    Team,
    Key,
    Model,

    /// <summary>The routing rule that matched the requests.</summary>
    Rule,
}

/// <summary>The shape of the JSON a rule's webhook receives.</summary>
public enum WebhookFormat
{
    /// <summary>The console's own JSON object.</summary>
    Json,

    /// <summary>A Slack incoming-webhook message: text and Block Kit blocks.</summary>
    Slack,

    /// <summary>A Microsoft Teams incoming-webhook MessageCard.</summary>
    Teams,
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

    public WebhookFormat WebhookFormat { get; set; }

    /// <summary>E-mail recipients, comma-separated; null for none.</summary>
    public string? EmailTo { get; set; }

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

/// <summary>
/// One episode of an alert rule: when it fired, with what value against what threshold or baseline, and when it
/// resolved. Kept after its rule is deleted, with the rule's name and condition as they were.
/// </summary>
public sealed class AlertEventEntity
{
    public const int MaxText = 400;

    public long Id { get; set; }

    public long RuleId { get; set; }

    public required string RuleName { get; set; }

    public AlertMetric Metric { get; set; }

    public AlertScope Scope { get; set; }

    public string? ScopeValue { get; set; }

    /// <summary>The rule's condition in words when it fired.</summary>
    public required string Condition { get; set; }

    public AlertMode Mode { get; set; }

    /// <summary>The rule's threshold (in the metric's unit) or anomaly factor when it fired.</summary>
    public double Threshold { get; set; }

    public double? Value { get; set; }

    public double? Baseline { get; set; }

    public DateTimeOffset FiredAt { get; set; }

    public required string FiredMessage { get; set; }

    public DateTimeOffset? ResolvedAt { get; set; }

    public double? ResolvedValue { get; set; }

    public string? ResolvedMessage { get; set; }

    public List<AlertDeliveryEntity> Deliveries { get; set; } = [];
}

public enum AlertStage
{
    Fired,
    Resolved,
}

public enum AlertDeliveryOutcome
{
    Pending,
    Delivered,
    Failed,
}

/// <summary>One delivery of an alert event's firing or resolution to one destination, with its outcome.</summary>
public sealed class AlertDeliveryEntity
{
    public long Id { get; set; }

    public long AlertEventId { get; set; }

    public AlertStage Stage { get; set; }

    /// <summary>webhook or email.</summary>
    public required string Channel { get; set; }

    /// <summary>The webhook address or the e-mail recipients.</summary>
    public required string Destination { get; set; }

    public WebhookFormat Format { get; set; }

    public AlertDeliveryOutcome Outcome { get; set; }

    /// <summary>Why a delivery failed, e.g. the status the webhook answered.</summary>
    public string? Detail { get; set; }

    public DateTimeOffset At { get; set; }
}
