namespace CostConsole.Routing.Pricing;

/// <summary>Tokens of one model call. Cached prompt tokens are a part of the prompt tokens, as OpenAI reports them.</summary>
public readonly record struct TokenUsage(long PromptTokens, long CachedPromptTokens, long CompletionTokens)
{
    public long TotalTokens => PromptTokens + CompletionTokens;

    public TokenUsage Add(TokenUsage other) =>
        new(PromptTokens + other.PromptTokens, CachedPromptTokens + other.CachedPromptTokens, CompletionTokens + other.CompletionTokens);
}
