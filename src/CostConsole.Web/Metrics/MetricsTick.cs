namespace CostConsole.Web.Metrics;

/// <summary>
/// One second of traffic as committed to the ledger, pushed to the dashboard and to <c>/hubs/metrics</c>.
/// <see cref="Sequence"/> goes up by one every second, ticks with no traffic included, so a client sees a gap
/// when it missed one. <see cref="Escalations"/> and <see cref="CacheHits"/> stay 0 until the router escalates
/// and caches. <see cref="Escalations"/> counts requests that escalated at least once.
/// </summary>
public sealed record MetricsTick(
    long Sequence,
    DateTimeOffset Time,
    int Requests,
    int Answered,
    int Failed,
    int Rejected,
    int Errors,
    int Fallbacks,
    int FallbackRequests,
    int Escalations,
    int CacheHits,
    decimal Spend,
    decimal Baseline,
    decimal Savings,
    IReadOnlyDictionary<string, decimal> SpendByTier,
    IReadOnlyDictionary<string, decimal> SpendByModel,
    IReadOnlyDictionary<string, int> RequestsByTier,
    double? LatencyP50Ms,
    double? LatencyP95Ms,
    long PromptTokens = 0,
    long CompletionTokens = 0,
    long CachedTokens = 0,
    decimal EscalationCost = 0);
