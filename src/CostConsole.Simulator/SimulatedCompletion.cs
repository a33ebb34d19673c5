namespace CostConsole.Simulator;

internal enum SimulatedFault
{
    None,
    ServerError,
    RateLimit,
    Timeout,
    StreamCut,
    StreamError,
}

internal sealed record TokenAlternative(string Token, double Logprob);

internal sealed record SimulatedToken(string Text, double Logprob, IReadOnlyList<TokenAlternative> TopLogprobs);

/// <summary>Everything decided about one simulated answer before any byte is sent; the HTTP layer only paces and writes it.</summary>
internal sealed record SimulatedCompletion
{
    public required string Model { get; init; }

    public required SimulatedFault Fault { get; init; }

    public double Difficulty { get; init; }

    public string Content { get; init; } = "";

    /// <summary>The function the model calls instead of answering in text; its arguments are what <see cref="Tokens"/> spell.</summary>
    public SimulatedToolCall? ToolCall { get; init; }

    /// <summary>Completion tokens that are not in <see cref="Tokens"/>: a tool call's name and framing.</summary>
    public int OverheadTokens { get; init; }

    public IReadOnlyList<SimulatedToken> Tokens { get; init; } = [];

    /// <summary>How many tokens each streamed content chunk carries, in order.</summary>
    public IReadOnlyList<int> ChunkSizes { get; init; } = [];

    public string FinishReason { get; init; } = "stop";

    /// <summary>The stop sequence the answer was cut at, reported as vLLM does (<c>choices[].stop_reason</c>); null when none was.</summary>
    public string? StopSequence { get; init; }

    public int PromptTokens { get; init; }

    public int CachedPromptTokens { get; init; }

    public int CompletionTokens => Tokens.Count + OverheadTokens;

    public TimeSpan TimeToFirstToken { get; init; }

    public TimeSpan TimePerToken { get; init; }

    /// <summary>How long a <see cref="SimulatedFault.Timeout"/> hangs before answering 504.</summary>
    public TimeSpan Hang { get; init; }
}
