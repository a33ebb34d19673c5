namespace CostConsole.Data.Entities;

/// <summary>
/// The ledger summed over one period (a minute or an hour) for one tier × model × key × team × rule × arm.
/// Money in nano-USD, <see cref="Start"/> in Unix milliseconds; latencies as a mergeable log-scale histogram.
/// </summary>
public abstract class RollupRow
{
    public long Id { get; set; }

    /// <summary>Start of the period, Unix milliseconds, UTC.</summary>
    public long Start { get; set; }

    public string? Tier { get; set; }

    public string? Model { get; set; }

    public long? ApiKeyId { get; set; }

    public string? Rule { get; set; }

    /// <summary>The team of the requests' key as the ledger recorded it.</summary>
    public string? Team { get; set; }

    /// <summary>The experiment arm the requests were assigned to; null outside experiments.</summary>
    public string? Arm { get; set; }

    public long Requests { get; set; }

    public long Answered { get; set; }

    public long Failed { get; set; }

    public long Rejected { get; set; }

    /// <summary>Requests that needed at least one fallback.</summary>
    public long FallbackRequests { get; set; }

    /// <summary>Fallback attempts in all.</summary>
    public long Fallbacks { get; set; }

    /// <summary>Escalations in all (a request escalated twice counts two).</summary>
    public long Escalations { get; set; }

    /// <summary>Requests escalated at least once.</summary>
    public long EscalatedRequests { get; set; }

    /// <summary>Cost spent on quality control: answers thrown away by escalation, and judge calls.</summary>
    public long EscalationCostNanoUsd { get; set; }

    public long PromptTokens { get; set; }

    public long CachedTokens { get; set; }

    /// <summary>Prompt tokens written to the provider's prompt cache (billed at the cache-write price).</summary>
    public long CacheWriteTokens { get; set; }

    public long CompletionTokens { get; set; }

    public long CostNanoUsd { get; set; }

    public long BaselineCostNanoUsd { get; set; }

    public double LatencySumMs { get; set; }

    /// <summary>A <see cref="Metrics.LatencyHistogram"/> in its sparse encoding.</summary>
    public byte[] LatencyHistogram { get; set; } = [];
}

public sealed class MinuteRollupRow : RollupRow;

/// <summary>The same sums per hour, so 30-day views read a few thousand rows instead of a million.</summary>
public sealed class HourRollupRow : RollupRow;
