namespace CostConsole.Routing.Affinity;

/// <summary>
/// Conversation affinity (<c>CostConsole:Routing:Affinity</c>): a conversation stays on the model that served its last
/// turn while that model's provider prompt cache is likely warm.
/// </summary>
public sealed class ConversationAffinityOptions
{
    public const string Section = "CostConsole:Routing:Affinity";

    /// <summary>Off: every turn is routed afresh.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// How long after a turn the provider's cache is taken to be warm. OpenAI and Anthropic keep a prompt cache about five
    /// minutes after its last use, so five minutes is the default; a provider with a longer cache can be given more.
    /// </summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The shortest prompt a provider caches (OpenAI and Anthropic cache from 1,024 tokens). A move of a conversation whose
    /// last prompt was shorter loses nothing, so no cold-cache cost is recorded for it.
    /// </summary>
    public long MinCachedTokens { get; set; } = 1024;

    /// <summary>Conversations remembered per instance; past this the least recently used are forgotten first.</summary>
    public int MaxConversations { get; set; } = 100_000;

    /// <summary>What is wrong with these settings, or null when they can be used.</summary>
    public string? Problem() =>
        Window <= TimeSpan.Zero || Window > TimeSpan.FromDays(1) ? $"{Section}:Window must be more than zero and at most one day (got {Window})."
        : MinCachedTokens < 0 ? $"{Section}:MinCachedTokens must not be negative (got {MinCachedTokens})."
        : MaxConversations < 1 ? $"{Section}:MaxConversations must be at least 1 (got {MaxConversations})."
        : null;
}
