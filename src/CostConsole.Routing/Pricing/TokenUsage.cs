namespace CostConsole.Routing.Pricing;

/// <summary>
/// Tokens of one model call. Cached prompt tokens (cache reads) and <see cref="CacheWriteTokens"/> are parts of the
/// prompt tokens, as OpenAI and LiteLLM report them.
/// </summary>
public readonly record struct TokenUsage(long PromptTokens, long CachedPromptTokens, long CompletionTokens)
{
    /// <summary>Prompt tokens the provider wrote to its prompt cache on this call (Anthropic's cache creation), billed at the cache-write price.</summary>
    public long CacheWriteTokens { get; init; }

    public long TotalTokens => PromptTokens + CompletionTokens;

    public TokenUsage Add(TokenUsage other) =>
        new(PromptTokens + other.PromptTokens, CachedPromptTokens + other.CachedPromptTokens, CompletionTokens + other.CompletionTokens)
        {
            CacheWriteTokens = CacheWriteTokens + other.CacheWriteTokens,
        };
}
