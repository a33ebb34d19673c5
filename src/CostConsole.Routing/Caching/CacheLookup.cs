namespace CostConsole.Routing.Caching;

public enum CacheLevel
{
    /// <summary>The same request was answered before.</summary>
    Exact,

    /// <summary>A question that means the same, and passed the content gate, was answered before.</summary>
    Semantic,

    /// <summary>Looked up, nothing to serve; the answer will be stored if it may be.</summary>
    Miss,

    /// <summary>Not looked up: the policy leaves this request out (tools, temperature, turns, off for its rule).</summary>
    Bypass,
}

/// <summary>What the cache did with one request, and what it needs to store the answer afterwards.</summary>
public sealed class CacheLookup
{
    public required CacheLevel Level { get; init; }

    /// <summary>In words, why there was no hit (or which gate refused one); null on a hit.</summary>
    public string? Reason { get; init; }

    public CacheEntry? Entry { get; init; }

    /// <summary>Cosine similarity to the entry served (1 for an exact hit), or to the best refused one.</summary>
    public double? Similarity { get; init; }

    /// <summary>The value of <c>x-costconsole-cache</c>: exact, semantic or miss.</summary>
    public string Header => Level switch
    {
        CacheLevel.Exact => "exact",
        CacheLevel.Semantic => "semantic",
        _ => "miss",
    };

    /// <summary>For the trace: "served from cache (semantic at similarity 0.93) entry ce_…", or why there was no hit.</summary>
    public string Describe() => Entry is { } entry
        ? $"served from cache ({LedgerName}{(Level == CacheLevel.Semantic ? " at similarity " + Similarity!.Value.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) : "")}) entry {entry.Id}, answered by {entry.Model}"
        : $"cache {LedgerName}{(Reason is null ? "" : ": " + Reason)}";

    /// <summary>The name the ledger keeps: exact, semantic, miss or bypass.</summary>
    public string LedgerName => Level.ToString().ToLowerInvariant();

    internal bool Storable { get; init; }

    internal string? Namespace { get; init; }

    internal CacheKeys Keys { get; init; }

    internal CachePolicy? Policy { get; init; }

    internal float[]? Vector { get; init; }

    internal string? Embedder { get; init; }

    internal string? Prompt { get; init; }
}

/// <summary>Lock-free counts since start; the ledger keeps the durable ones.</summary>
public sealed class CacheCounters
{
    private long _exactHits;
    private long _semanticHits;
    private long _misses;
    private long _bypassed;
    private long _gateRefusals;
    private long _embeddingFailures;
    private long _indexFull;
    private long _stored;
    private long _missTicks;
    private long _missesTimed;
    private long _hitTicks;
    private long _hitsTimed;

    public long ExactHits => Interlocked.Read(ref _exactHits);

    public long SemanticHits => Interlocked.Read(ref _semanticHits);

    public long Misses => Interlocked.Read(ref _misses);

    public long Bypassed => Interlocked.Read(ref _bypassed);

    /// <summary>Semantic candidates above the threshold that the content gate refused.</summary>
    public long GateRefusals => Interlocked.Read(ref _gateRefusals);

    /// <summary>Lookups whose embedding could not be had: served as misses.</summary>
    public long EmbeddingFailures => Interlocked.Read(ref _embeddingFailures);

    /// <summary>Answers not stored because the cache held its maximum.</summary>
    public long IndexFull => Interlocked.Read(ref _indexFull);

    public long Stored => Interlocked.Read(ref _stored);

    internal void Count(CacheLevel level)
    {
        switch (level)
        {
            case CacheLevel.Exact: Interlocked.Increment(ref _exactHits); break;
            case CacheLevel.Semantic: Interlocked.Increment(ref _semanticHits); break;
            case CacheLevel.Miss: Interlocked.Increment(ref _misses); break;
            default: Interlocked.Increment(ref _bypassed); break;
        }
    }

    internal void GateRefused() => Interlocked.Increment(ref _gateRefusals);

    internal void EmbeddingFailed() => Interlocked.Increment(ref _embeddingFailures);

    internal void Full() => Interlocked.Increment(ref _indexFull);

    internal void StoredOne() => Interlocked.Increment(ref _stored);

    /// <summary>Lookups that missed and were timed since start (the miss path: fingerprint, embedding, search, content gate).</summary>
    public long MissesTimed => Interlocked.Read(ref _missesTimed);

    /// <summary>The average time a lookup that missed took since start; null before the first.</summary>
    public TimeSpan? AverageMissLookup => Average(ref _missTicks, ref _missesTimed);

    /// <summary>The average time a lookup that hit took since start; null before the first.</summary>
    public TimeSpan? AverageHitLookup => Average(ref _hitTicks, ref _hitsTimed);

    internal void Timed(CacheLevel level, TimeSpan elapsed)
    {
        if (level == CacheLevel.Miss)
        {
            Interlocked.Add(ref _missTicks, elapsed.Ticks);
            Interlocked.Increment(ref _missesTimed);
        }
        else if (level is CacheLevel.Exact or CacheLevel.Semantic)
        {
            Interlocked.Add(ref _hitTicks, elapsed.Ticks);
            Interlocked.Increment(ref _hitsTimed);
        }
    }

    private static TimeSpan? Average(ref long ticks, ref long count)
    {
        var n = Interlocked.Read(ref count);
        return n == 0 ? null : TimeSpan.FromTicks(Interlocked.Read(ref ticks) / n);
    }
}
