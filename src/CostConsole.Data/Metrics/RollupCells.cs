using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;

namespace CostConsole.Data.Metrics;

/// <summary>What a rollup needs of one ledger row, taken from a fresh <see cref="LedgerEntry"/> or read back from the ledger.</summary>
public readonly record struct RollupSample(
    string RequestId,
    long TimestampMs,
    string? Tier,
    string? Model,
    long? ApiKeyId,
    string? Rule,
    string? Arm,
    LedgerStatus Status,
    int Fallbacks,
    int Escalations,
    long PromptTokens,
    long CachedTokens,
    long CompletionTokens,
    long CostNanoUsd,
    long BaselineCostNanoUsd,
    double LatencyMs,
    long EscalationCostNanoUsd = 0,
    string? Team = null,
    long CacheWriteTokens = 0)
{
    public static RollupSample From(LedgerEntry e) => new(
        e.RequestId,
        e.Timestamp.ToUnixTimeMilliseconds(),
        e.Tier,
        e.Model,
        e.ApiKeyId,
        e.Rule,
        e.Arm,
        e.Status,
        e.Fallbacks,
        e.Escalations,
        e.PromptTokens,
        e.CachedTokens,
        e.CompletionTokens,
        Money.ToNanoUsd(e.Cost),
        Money.ToNanoUsd(e.BaselineCost),
        e.LatencyMs,
        Money.ToNanoUsd(e.EscalationCost),
        e.Team,
        e.CacheWriteTokens);
}

/// <summary>The grain of a rollup row: one period × tier × model × key × rule × arm × team.</summary>
public readonly record struct RollupKey(long Start, string? Tier, string? Model, long? ApiKeyId, string? Rule, string? Arm, string? Team = null)
{
    public static RollupKey Of(RollupRow row) => new(row.Start, row.Tier, row.Model, row.ApiKeyId, row.Rule, row.Arm, row.Team);
}

/// <summary>The running sums of one rollup row.</summary>
public sealed class RollupCell
{
    public long Requests;
    public long Answered;
    public long Failed;
    public long Rejected;
    public long FallbackRequests;
    public long Fallbacks;
    public long Escalations;
    public long EscalatedRequests;
    public long EscalationCostNanoUsd;
    public long PromptTokens;
    public long CachedTokens;
    public long CacheWriteTokens;
    public long CompletionTokens;
    public long CostNanoUsd;
    public long BaselineCostNanoUsd;
    public double LatencySumMs;
    public readonly LatencyHistogram Latency = new();

    public void Add(in RollupSample s)
    {
        Requests++;
        switch (s.Status)
        {
            case LedgerStatus.Answered:
                Answered++;
                break;
            case LedgerStatus.Failed:
                Failed++;
                break;
            default:
                Rejected++;
                break;
        }

        if (s.Fallbacks > 0)
        {
            FallbackRequests++;
            Fallbacks += s.Fallbacks;
        }

        Escalations += s.Escalations;
        EscalatedRequests += s.Escalations > 0 ? 1 : 0;
        EscalationCostNanoUsd += s.EscalationCostNanoUsd;

        PromptTokens += s.PromptTokens;
        CachedTokens += s.CachedTokens;
        CacheWriteTokens += s.CacheWriteTokens;
        CompletionTokens += s.CompletionTokens;
        CostNanoUsd += s.CostNanoUsd;
        BaselineCostNanoUsd += s.BaselineCostNanoUsd;
        LatencySumMs += s.LatencyMs;
        Latency.Add(s.LatencyMs);
    }

    public void Add(RollupRow row)
    {
        Requests += row.Requests;
        Answered += row.Answered;
        Failed += row.Failed;
        Rejected += row.Rejected;
        FallbackRequests += row.FallbackRequests;
        Fallbacks += row.Fallbacks;
        Escalations += row.Escalations;
        EscalatedRequests += row.EscalatedRequests;
        EscalationCostNanoUsd += row.EscalationCostNanoUsd;
        PromptTokens += row.PromptTokens;
        CachedTokens += row.CachedTokens;
        CacheWriteTokens += row.CacheWriteTokens;
        CompletionTokens += row.CompletionTokens;
        CostNanoUsd += row.CostNanoUsd;
        BaselineCostNanoUsd += row.BaselineCostNanoUsd;
        LatencySumMs += row.LatencySumMs;
        Latency.Merge(row.LatencyHistogram);
    }

    public T ToRow<T>(RollupKey key)
        where T : RollupRow, new() => new()
        {
            Start = key.Start,
            Tier = key.Tier,
            Model = key.Model,
            ApiKeyId = key.ApiKeyId,
            Rule = key.Rule,
            Arm = key.Arm,
            Team = key.Team,
            Requests = Requests,
            Answered = Answered,
            Failed = Failed,
            Rejected = Rejected,
            FallbackRequests = FallbackRequests,
            Fallbacks = Fallbacks,
            Escalations = Escalations,
            EscalatedRequests = EscalatedRequests,
            EscalationCostNanoUsd = EscalationCostNanoUsd,
            PromptTokens = PromptTokens,
            CachedTokens = CachedTokens,
            CacheWriteTokens = CacheWriteTokens,
            CompletionTokens = CompletionTokens,
            CostNanoUsd = CostNanoUsd,
            BaselineCostNanoUsd = BaselineCostNanoUsd,
            LatencySumMs = LatencySumMs,
            LatencyHistogram = Latency.Encode(),
        };
}

/// <summary>Rollup cells of one granularity (minute or hour), by period and key.</summary>
public sealed class RollupGrid(long periodMs)
{
    public const long MinuteMs = 60_000;
    public const long HourMs = 3_600_000;

    public long PeriodMs { get; } = periodMs;

    public Dictionary<long, Dictionary<RollupKey, RollupCell>> Periods { get; } = [];

    public long StartOf(long timestampMs) => Floor(timestampMs, PeriodMs);

    public static long Floor(long timestampMs, long periodMs) => timestampMs - (((timestampMs % periodMs) + periodMs) % periodMs);

    public Dictionary<RollupKey, RollupCell> Period(long start)
    {
        if (!Periods.TryGetValue(start, out var cells))
        {
            cells = [];
            Periods[start] = cells;
        }

        return cells;
    }

    public void Add(in RollupSample s)
    {
        var start = StartOf(s.TimestampMs);
        var cells = Period(start);
        var key = new RollupKey(start, s.Tier, s.Model, s.ApiKeyId, s.Rule, s.Arm, s.Team);
        if (!cells.TryGetValue(key, out var cell))
        {
            cell = new RollupCell();
            cells[key] = cell;
        }

        cell.Add(s);
    }
}
