namespace CostConsole.Web.Cluster;

/// <summary>
/// The <c>CostConsole:Redis</c> configuration section. With <see cref="Configuration"/> set, several instances share
/// budgets, rate limits, change notifications, the live dashboard and the Data Protection key ring through Redis;
/// without it, each instance keeps them in process, as a single instance always has.
/// </summary>
public sealed class RedisOptions
{
    public const string Section = "CostConsole:Redis";

    /// <summary>A StackExchange.Redis configuration string, e.g. <c>redis1:6379,password=…,ssl=true</c>. Empty: Redis is off.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key and channel, so that several installations can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "costconsole:";

    /// <summary>What requests under a budget get while Redis is unreachable: refused with a 503 (the default), or served and reconciled afterwards.</summary>
    public RedisUnavailable WhenUnavailable { get; set; } = RedisUnavailable.FailClosed;

    /// <summary>How often each budget's shared counter is checked against the ledger (and released reservations of dead instances are swept).</summary>
    public double ReconcileSeconds { get; set; } = 30;

    /// <summary>How often each instance compares the database's configuration version with its own, in case a notification was missed.</summary>
    public double VersionPollSeconds { get; set; } = 5;

    /// <summary>How long a Redis command may take before the instance treats Redis as unreachable.</summary>
    public int TimeoutMilliseconds { get; set; } = 2000;

    public bool Enabled => !string.IsNullOrWhiteSpace(Configuration);
}

/// <summary>What requests under a budget get while the shared budget store is unreachable.</summary>
public enum RedisUnavailable
{
    /// <summary>Refused with an OpenAI-shaped 503 that names the cause: no budget can be overrun.</summary>
    FailClosed,

    /// <summary>Served without the shared check; their cost reaches the shared counters from the ledger once Redis is back, and an alert says so.</summary>
    FailOpen,
}
