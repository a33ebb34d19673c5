namespace CostConsole.Data.Entities;

/// <summary>
/// A stored answer of the response cache, so entries survive a restart. The id is the engine's (ce_…); the vector
/// is the prompt's embedding as little-endian floats, null for an exact-only entry.
/// </summary>
public sealed class CacheEntryEntity
{
    public required string Id { get; set; }

    public required string Namespace { get; set; }

    public required string Fingerprint { get; set; }

    public required string Context { get; set; }

    public required string Prompt { get; set; }

    public byte[]? Vector { get; set; }

    public string? Embedder { get; set; }

    public required string Answer { get; set; }

    public required string FinishReason { get; set; }

    public required string Model { get; set; }

    public required string Tier { get; set; }

    public string? Rule { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public long CostNanoUsd { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public long Hits { get; set; }

    public long SavedNanoUsd { get; set; }

    public DateTimeOffset? LastHitAt { get; set; }
}
