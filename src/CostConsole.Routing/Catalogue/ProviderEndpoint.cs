namespace CostConsole.Routing.Catalogue;

/// <summary>
/// An OpenAI-compatible upstream: a LiteLLM proxy, Ollama, vLLM, OpenAI, or the embedded simulator.
/// A base URL starting with '/' is served by this process itself (the simulator).
/// </summary>
public sealed record ProviderEndpoint(string Name, string BaseUrl, string? ApiKey, TimeSpan Timeout)
{
    public bool IsLocal => BaseUrl.StartsWith('/');

    /// <summary>Retries and circuit breaking for each of this provider's models.</summary>
    public ResilienceSettings Resilience { get; init; } = ResilienceSettings.Default;

    /// <summary>Approved to receive personal data; when the rule set routes personal data, requests containing it go only to such providers.</summary>
    public bool MayReceivePersonalData { get; init; }

    /// <summary>The API this provider speaks: chat completions (the default) or Anthropic Messages.</summary>
    public ProviderProtocol Protocol { get; init; }

    /// <summary>The provider offers OpenAI's batch interface (<c>/files</c>, <c>/batches</c>): a batch's lines for its models go there as one upstream batch.</summary>
    public bool HasBatchApi { get; init; }

    /// <summary>The client APIs the provider speaks itself: requests in them are passed through rather than translated (see <see cref="NativeApis"/>).</summary>
    public NativeApis NativeApis { get; init; }

    /// <summary>True when a request in <paramref name="api"/> is passed through to this provider as it came: an Anthropic provider always takes Messages.</summary>
    public bool PassesThrough(NativeApis api) => (NativeApis & api) != 0 || (api == NativeApis.Messages && Protocol == ProviderProtocol.Anthropic);
}

/// <summary>
/// How hard the router tries one deployment (a provider's model) before moving on to the next model: retries on
/// 429, 5xx and broken connections with exponential backoff and jitter (honouring <c>Retry-After</c>), and a
/// circuit breaker that skips a failing deployment for <see cref="BreakDuration"/> and then probes it again.
/// </summary>
public sealed record ResilienceSettings
{
    public const int MaxAllowedRetries = 5;

    public static readonly ResilienceSettings Default = new();

    /// <summary>Retries of one call after a transient failure; 0 moves to the next model at once.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>The first retry's delay; each further retry doubles it, with jitter.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>A <c>Retry-After</c> longer than this is not waited for: the next model is tried instead.</summary>
    public TimeSpan MaxRetryAfter { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The share of failed calls within <see cref="SamplingDuration"/> that opens the circuit.</summary>
    public double FailureRatio { get; init; } = 0.5;

    /// <summary>Calls needed within <see cref="SamplingDuration"/> before the ratio is judged.</summary>
    public int MinimumThroughput { get; init; } = 8;

    public TimeSpan SamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit skips the deployment before one probe call is let through.</summary>
    public TimeSpan BreakDuration { get; init; } = TimeSpan.FromSeconds(30);
}
