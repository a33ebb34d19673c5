namespace CostConsole.Web.Budgets;

/// <summary>The <c>CostConsole:Budgets</c> configuration section.</summary>
public sealed class BudgetOptions
{
    public const string Section = "CostConsole:Budgets";

    /// <summary>IANA or Windows time zone whose calendar days, weeks (from Monday) and months the periods follow.</summary>
    public string TimeZone { get; set; } = "UTC";

    /// <summary>Completion tokens assumed for the worst case when a request sets no <c>max_tokens</c>.</summary>
    public int DefaultMaxTokens { get; set; } = 4096;

    /// <summary>
    /// Completion tokens a request without <c>max_tokens</c> is expected to take before its tier has answered
    /// <see cref="OutputLengths.MinimumAnswers"/> requests; after that, the p95 of the tier's recent answers is used.
    /// </summary>
    public int DefaultOutputTokens { get; set; } = 512;

    /// <summary>
    /// The most, in USD, by which the requests in flight may together pass a (non-strict) budget's limit were each to
    /// cost its worst case: a request that would raise that possible overrun above this is refused (or its step up a
    /// tier is not taken), after waiting up to <see cref="OverrunWaitSeconds"/> for room. Strict budgets never pass their limit.
    /// </summary>
    public decimal MaxOverrunUsd { get; set; } = 0.10m;

    /// <summary>
    /// How long a request waits, before it is refused, when the money it needs (or the room under the overrun bound)
    /// is held by requests in flight that may settle for less. Zero refuses at once.
    /// </summary>
    public double OverrunWaitSeconds { get; set; } = 10;

    /// <summary>
    /// Extra attempts reserved per request on top of the first, for requests escalated one tier up: the worst case is
    /// reserved as (1 + this) × the most expensive candidate's price by strict budgets. Unset: the live rule set's escalation bound.
    /// </summary>
    public int? EscalationsReserved { get; set; }

    /// <summary>A reservation a request has not settled within this time (a crash or a hang) is released.</summary>
    public double ReservationSeconds { get; set; } = 600;

    /// <summary>A conversation (header <c>x-costconsole-conversation</c>) raises an alert once it has used this many tokens in a day.</summary>
    public long ConversationTokenAlert { get; set; } = 50_000;

    /// <summary>A conversation is refused further requests once it has used this many tokens in a day; null means never.</summary>
    public long? ConversationTokenLimit { get; set; }

    /// <summary>A request whose worst-case cost is above this (USD) is refused; null means no cap.</summary>
    public decimal? MaxRequestCostUsd { get; set; }

    /// <summary>Every alert is POSTed here as JSON, besides any webhook of its own budget.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>Webhook delivery attempts, with exponential backoff starting at <see cref="WebhookRetrySeconds"/>.</summary>
    public int WebhookAttempts { get; set; } = 5;

    public double WebhookRetrySeconds { get; set; } = 2;

    public TimeZoneInfo Zone() => TimeZoneInfo.FindSystemTimeZoneById(TimeZone);
}
