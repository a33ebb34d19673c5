namespace CostConsole.Simulator;

/// <summary>
/// How one simulated model answers: its quality, its speed and the faults it injects.
/// Immutable so a running request keeps the profile it started with while the settings swap in a new one.
/// </summary>
public sealed record SimulatedModelProfile
{
    /// <summary>The model id clients send, e.g. <c>gpt-4.1-nano</c>.</summary>
    public string Id { get; init; } = "";

    /// <summary>0..1; prompts harder than this get uncertain tokens and, in JSON mode, sometimes malformed output.</summary>
    public double Capability { get; init; } = 0.5;

    public double TimeToFirstTokenMs { get; init; } = 200;

    public double TokensPerSecond { get; init; } = 100;

    /// <summary>Typical answer length in tokens; each answer varies around it.</summary>
    public int AnswerTokens { get; init; } = 80;

    /// <summary>Share of requests answered with a 500.</summary>
    public double ErrorRate { get; init; }

    /// <summary>Share of requests answered with a 429.</summary>
    public double RateLimitRate { get; init; }

    /// <summary>The <c>Retry-After</c> header sent with a 429.</summary>
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary>Share of requests that hang for <see cref="HangSeconds"/> and then answer 504.</summary>
    public double TimeoutRate { get; init; }

    /// <summary>Scaled by <see cref="SimulatorSettings.LatencyScale"/> like every simulated delay, so tests see the 504 at once.</summary>
    public double HangSeconds { get; init; } = 30;

    /// <summary>Share of streaming requests whose connection is dropped about half way.</summary>
    public double StreamCutRate { get; init; }

    /// <summary>
    /// Share of streaming requests that end about half way with the provider's own error event (in chat completions a
    /// <c>data: {"error": …}</c> chunk, in the Responses API <c>response.failed</c>, in Messages <c>event: error</c>),
    /// as a provider that fails while generating does.
    /// </summary>
    public double StreamErrorRate { get; init; }

    /// <summary>Multiplies this model's delays, to simulate a degraded provider.</summary>
    public double SlowdownFactor { get; init; } = 1;

    /// <summary>What is wrong with this profile, in words an operator can act on; empty when it is usable.</summary>
    internal IEnumerable<string> Problems()
    {
        var name = string.IsNullOrWhiteSpace(Id) ? "A simulated model" : $"Simulated model '{Id}'";
        if (string.IsNullOrWhiteSpace(Id))
        {
            yield return "A simulated model has no Id; set Id to the model name clients will send, e.g. \"gpt-4.1-nano\".";
        }

        foreach (var (property, value) in new[]
                 {
                     (nameof(Capability), Capability),
                     (nameof(ErrorRate), ErrorRate),
                     (nameof(RateLimitRate), RateLimitRate),
                     (nameof(TimeoutRate), TimeoutRate),
                     (nameof(StreamCutRate), StreamCutRate),
                     (nameof(StreamErrorRate), StreamErrorRate),
                 })
        {
            if (!(value is >= 0 and <= 1))
            {
                yield return $"{name}: {property} must be between 0 and 1, but is {value}.";
            }
        }

        if (!(TokensPerSecond > 0) || double.IsInfinity(TokensPerSecond))
        {
            yield return $"{name}: TokensPerSecond must be a positive number, but is {TokensPerSecond}.";
        }

        if (AnswerTokens <= 0)
        {
            yield return $"{name}: AnswerTokens must be positive, but is {AnswerTokens}.";
        }

        if (!(SlowdownFactor > 0) || double.IsInfinity(SlowdownFactor))
        {
            yield return $"{name}: SlowdownFactor must be a positive number (1 = normal speed), but is {SlowdownFactor}.";
        }

        if (!(TimeToFirstTokenMs >= 0) || double.IsInfinity(TimeToFirstTokenMs))
        {
            yield return $"{name}: TimeToFirstTokenMs must be zero or more, but is {TimeToFirstTokenMs}.";
        }

        if (!(HangSeconds >= 0) || double.IsInfinity(HangSeconds))
        {
            yield return $"{name}: HangSeconds must be zero or more, but is {HangSeconds}.";
        }

        if (RetryAfterSeconds < 0)
        {
            yield return $"{name}: RetryAfterSeconds must be zero or more, but is {RetryAfterSeconds}.";
        }
    }
}
