namespace CostConsole.Routing.Caching;

/// <summary>
/// One stored answer: where it may be served (namespace and context), what it answered (the prompt, its facts and
/// vector), the answer itself, what it cost, and what it has saved since.
/// </summary>
public sealed class CacheEntry
{
    private long _hits;
    private long _savedNanoUsd;
    private long _lastHitMs;
    private volatile bool _removed;

    public required string Id { get; init; }

    /// <summary>The tenant line: key:{id}, team:{name} or global.</summary>
    public required string Namespace { get; init; }

    /// <summary>The fingerprint of the request that produced the answer.</summary>
    public required string Fingerprint { get; init; }

    /// <summary>The fingerprint of everything but the last user message; semantic hits need the same one.</summary>
    public required string Context { get; init; }

    /// <summary>The last user message, as asked.</summary>
    public required string Prompt { get; init; }

    /// <summary>The embedding of <see cref="Prompt"/>, or null when it could not be had (exact level only).</summary>
    public float[]? Vector { get; init; }

    /// <summary>The embedder of <see cref="Vector"/>: vectors of two embedders are never compared.</summary>
    public string? Embedder { get; init; }

    public required string Answer { get; init; }

    public string FinishReason { get; init; } = "stop";

    /// <summary>The catalogue key (provider/id) of the model that answered.</summary>
    public required string Model { get; init; }

    public required string Tier { get; init; }

    public string? Rule { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    /// <summary>What the answer cost when it was paid for.</summary>
    public decimal Cost { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required DateTimeOffset ExpiresAt { get; init; }

    public long Hits => Interlocked.Read(ref _hits);

    public decimal Saved => Interlocked.Read(ref _savedNanoUsd) / 1_000_000_000m;

    public DateTimeOffset? LastHitAt => Interlocked.Read(ref _lastHitMs) is > 0 and var ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    public bool Removed => _removed;

    private PromptFacts? _facts;

    public PromptFacts Facts => _facts ??= PromptFacts.Of(Prompt);

    public bool Expired(DateTimeOffset now) => now >= ExpiresAt;

    /// <summary>Counts a hit and the cost it avoided.</summary>
    public void Hit(decimal saved, DateTimeOffset at)
    {
        Interlocked.Increment(ref _hits);
        Interlocked.Add(ref _savedNanoUsd, (long)decimal.Round(saved * 1_000_000_000m));
        Interlocked.Exchange(ref _lastHitMs, at.ToUnixTimeMilliseconds());
    }

    /// <summary>Restores the counts of an entry loaded from storage.</summary>
    public void Restore(long hits, decimal saved, DateTimeOffset? lastHitAt)
    {
        _hits = hits;
        _savedNanoUsd = (long)decimal.Round(saved * 1_000_000_000m);
        _lastHitMs = lastHitAt?.ToUnixTimeMilliseconds() ?? 0;
    }

    internal void Remove() => _removed = true;
}

/// <summary>Where entries live beyond the process: told of every change, in order, without waiting for it.</summary>
public interface ICacheStore
{
    void Added(CacheEntry entry);

    void Hit(CacheEntry entry);

    void Removed(IReadOnlyList<string> ids);
}
