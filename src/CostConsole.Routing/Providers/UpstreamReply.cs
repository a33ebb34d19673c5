using CostConsole.Routing.Pricing;

namespace CostConsole.Routing.Providers;

public enum UpstreamFailure
{
    None,

    /// <summary>No answer within the provider's timeout.</summary>
    Timeout,

    /// <summary>The connection could not be made or broke.</summary>
    Connection,

    /// <summary>429: the provider asks us to slow down.</summary>
    RateLimited,

    /// <summary>5xx or an unreadable answer.</summary>
    ServerError,

    /// <summary>4xx other than 408/429: the request itself is refused, another model would refuse it too.</summary>
    Rejected,
}

/// <summary>What one non-streaming call to a model returned.</summary>
public sealed class UpstreamReply : IUpstreamOutcome
{
    public required int Status { get; init; }

    public required BinaryData Body { get; init; }

    public UpstreamFailure Failure { get; init; }

    public TokenUsage Usage { get; init; }

    /// <summary>True when the provider reported no usage and the tokens were counted here.</summary>
    public bool UsageEstimated { get; init; }

    public string? FinishReason { get; init; }

    public TimeSpan? RetryAfter { get; init; }

    public string? Error { get; init; }

    /// <summary>The provider answered in the client's own API, passed through rather than translated.</summary>
    public bool PassedThrough { get; init; }

    public bool IsSuccess => Failure == UpstreamFailure.None;

    UpstreamReply? IUpstreamOutcome.Failure => IsSuccess ? null : this;

    bool IUpstreamOutcome.Retryable => !IsSuccess;
}
