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
    /// Extra attempts reserved per request on top of the first, for requests escalated one tier up: the worst case is
    /// reserved as (1 + this) × the most expensive candidate's price. Unset: the live rule set's escalation bound.
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
