namespace CostConsole.Routing.Caching;

/// <summary>
/// The hit rate above which the cache pays for itself, in time and in money. Every lookup costs its time (a hit's
/// lookup, or a miss's: fingerprint, embedding, search and content gate) and, with an embeddings model billed per call,
/// its price; every hit saves the model's answer: its latency and its cost.
/// </summary>
/// <param name="MissLookup">The average time a lookup that missed took.</param>
/// <param name="HitLookup">The average time a lookup that hit took.</param>
/// <param name="ModelLatency">The average time a model took to answer a request the cache missed, its lookup left out.</param>
/// <param name="ModelCost">The average cost of a model's answer to a request the cache missed: what a hit saves.</param>
/// <param name="LookupCost">What one lookup costs in embeddings (0 when they are computed locally).</param>
public sealed record CacheBreakEven(TimeSpan MissLookup, TimeSpan HitLookup, TimeSpan ModelLatency, decimal ModelCost, decimal LookupCost)
{
    /// <summary>
    /// The hit rate p at which the average time with the cache, p·hit + (1−p)·(miss + model), equals the model's alone:
    /// p = miss / (miss + model − hit). Null when a hit saves no time (the model answers faster than a hit is found).
    /// </summary>
    public double? TimeRate
    {
        get
        {
            var saved = MissLookup + ModelLatency - HitLookup;
            return saved <= TimeSpan.Zero ? null : Math.Clamp(MissLookup / saved, 0, 1);
        }
    }

    /// <summary>
    /// The hit rate p at which what the hits save, p·model cost, equals what every lookup costs in embeddings:
    /// p = lookup cost / model cost. Zero when lookups cost nothing; null when an answer costs nothing to save.
    /// </summary>
    public double? MoneyRate => LookupCost <= 0 ? 0 : ModelCost <= 0 ? null : Math.Min(1, (double)(LookupCost / ModelCost));
}
