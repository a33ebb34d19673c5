namespace CostConsole.Routing.Providers;

/// <summary>What one call to an embeddings model returned: a vector per input, or why there is none.</summary>
public sealed class EmbeddingReply
{
    public IReadOnlyList<float[]> Vectors { get; init; } = [];

    /// <summary>The input tokens the provider reported (<c>usage.prompt_tokens</c>); null when it reported none.</summary>
    public long? PromptTokens { get; init; }

    public UpstreamFailure Failure { get; init; }

    public string? Error { get; init; }

    public bool IsSuccess => Failure == UpstreamFailure.None;

    public static EmbeddingReply Failed(UpstreamFailure failure, string error) => new() { Failure = failure, Error = error };
}
