using System.Collections.Concurrent;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace CostConsole.Routing.Providers;

/// <summary>The result of one call to a deployment, as retries and the circuit breaker judge it.</summary>
public interface IUpstreamOutcome
{
    /// <summary>The failure, or null when the call answered.</summary>
    UpstreamReply? Failure { get; }

    /// <summary>True when the same deployment may be tried again: nothing has reached the client yet.</summary>
    bool Retryable { get; }
}

/// <summary>
/// One Polly pipeline per deployment (provider × model): retries with exponential backoff and jitter that honour
/// <c>Retry-After</c>, inside a circuit breaker shared by the streamed and non-streamed calls of that deployment.
/// Pipelines outlive routing snapshots, so publishing rules does not reset a breaker that is open.
/// </summary>
public sealed class DeploymentResilience(TimeProvider? time = null)
{
    private readonly ConcurrentDictionary<(string Provider, string Model, ResilienceSettings Settings), Entry> _pipelines = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ResiliencePipeline For(RoutedModel model) => Get(model).Pipeline;

    /// <summary>The breaker's state for a deployment: Closed (normal), Open (skipped), HalfOpen (probing).</summary>
    public CircuitState State(RoutedModel model) => Get(model).State.CircuitState;

    /// <summary>Forgets every breaker's history: all deployments are tried again at once.</summary>
    public void Reset() => _pipelines.Clear();

    private Entry Get(RoutedModel model) =>
        _pipelines.GetOrAdd((model.Provider.Name, model.Model.Id, model.Provider.Resilience), static (key, self) => self.Build(key.Settings), this);

    private Entry Build(ResilienceSettings settings)
    {
        var state = new CircuitBreakerStateProvider();
        var builder = new ResiliencePipelineBuilder { TimeProvider = _time };
        if (settings.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Min(settings.MaxRetries, ResilienceSettings.MaxAllowedRetries),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.RetryDelay,
                ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Result is IUpstreamOutcome { Retryable: true, Failure: { } failure }
                    && IsTransient(failure)
                    && !(failure.RetryAfter > settings.MaxRetryAfter)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result is IUpstreamOutcome { Failure.RetryAfter: { } wait } && wait > TimeSpan.Zero ? wait : (TimeSpan?)null),
            });
        }

        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = Math.Clamp(settings.FailureRatio, 0.01, 1),
            MinimumThroughput = Math.Max(2, settings.MinimumThroughput),
            SamplingDuration = settings.SamplingDuration < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : settings.SamplingDuration,
            BreakDuration = settings.BreakDuration < TimeSpan.FromMilliseconds(500) ? TimeSpan.FromMilliseconds(500) : settings.BreakDuration,
            StateProvider = state,
            // Every failure the provider is to blame for counts, timeouts included; a refused request does not.
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Result is IUpstreamOutcome { Failure: { } failure } && failure.Failure != UpstreamFailure.Rejected),
        });

        return new Entry(builder.Build(), state);
    }

    /// <summary>429, 5xx and broken connections are worth a retry; a timeout has already cost the client its wait.</summary>
    private static bool IsTransient(UpstreamReply failure) =>
        failure.Failure is UpstreamFailure.RateLimited or UpstreamFailure.ServerError or UpstreamFailure.Connection;

    private sealed record Entry(ResiliencePipeline Pipeline, CircuitBreakerStateProvider State);
}
