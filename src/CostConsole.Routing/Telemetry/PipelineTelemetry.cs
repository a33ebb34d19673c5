using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using static CostConsole.Routing.Telemetry.TelemetryNames;

namespace CostConsole.Routing.Telemetry;

/// <summary>
/// The engine's traces and metrics, with nothing but <see cref="ActivitySource"/> and <see cref="Meter"/>: a span per
/// request and a child span per model call, and the request's numbers as measurements. Both cost next to nothing until
/// something listens (the host's OpenTelemetry SDK, when telemetry is configured).
/// </summary>
public sealed class PipelineTelemetry : IDisposable
{
    internal static readonly ActivitySource Activities = new(Source, typeof(PipelineTelemetry).Assembly.GetName().Version?.ToString());

    // The GenAI conventions' advised bucket boundaries.
    private static readonly IReadOnlyList<long> TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly IReadOnlyList<double> SecondBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    private const int MaxOutcomeLength = 200;

    private readonly Meter _meter;
    private readonly Histogram<long> _tokenUsage;
    private readonly Histogram<double> _operationDuration;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Counter<double> _cost;
    private readonly Counter<double> _baselineCost;
    private readonly UpDownCounter<double> _savings;
    private readonly Counter<long> _cachedTokens;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _escalations;

    /// <param name="meters">The host's meter factory, so each host (and each test's) measurements stay its own.</param>
    /// <param name="includeContent">Whether prompts and answers go into spans; off unless an operator turns it on.</param>
    public PipelineTelemetry(IMeterFactory? meters = null, bool includeContent = false)
    {
        IncludeContent = includeContent;
        _meter = meters?.Create(new MeterOptions(Source)) ?? new Meter(Source);
        _tokenUsage = _meter.CreateHistogram(TokenUsageMetric, "{token}", "Tokens used by each model call, by type (input, output).",
            tags: null, advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _operationDuration = _meter.CreateHistogram(OperationDurationMetric, "s", "Duration of each model call.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondBuckets });
        _requests = _meter.CreateCounter<long>(RequestsMetric, "{request}", "Requests recorded in the ledger, by tier, model, rule and status.");
        _requestDuration = _meter.CreateHistogram(RequestDurationMetric, "s", "Time from a request's arrival to its answer, all attempts included.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondBuckets });
        _cost = _meter.CreateCounter<double>(CostMetric, "USD", "What requests cost, every attempt included.");
        _baselineCost = _meter.CreateCounter<double>(BaselineCostMetric, "USD", "What the same answers would have cost from the baseline (always-largest) model.");
        _savings = _meter.CreateUpDownCounter<double>(SavingsMetric, "USD", "Baseline cost less actual cost; falls when escalations cost more than the baseline.");
        _cachedTokens = _meter.CreateCounter<long>(CachedTokensMetric, "{token}", "Prompt tokens the providers served from their cache.");
        _fallbacks = _meter.CreateCounter<long>(FallbacksMetric, "{fallback}", "Calls to a next model because the previous one failed.");
        _escalations = _meter.CreateCounter<long>(EscalationsMetric, "{escalation}", "Requests sent one tier up because an answer failed a quality gate.");
    }

    public bool IncludeContent { get; }

    public void Dispose() => _meter.Dispose();

    /// <summary>Runs one request inside its span (<c>chat {requested model}</c>) and describes the outcome on it.</summary>
    public static Task<ChatOutcome> TraceAsync(PipelineTelemetry? telemetry, ChatRequest request, CallerContext caller, Func<Task<ChatOutcome>> run) =>
        Activities.HasListeners() ? TraceCoreAsync(telemetry?.IncludeContent == true, request, caller, run) : run();

    private static async Task<ChatOutcome> TraceCoreAsync(bool includeContent, ChatRequest request, CallerContext caller, Func<Task<ChatOutcome>> run)
    {
        using var activity = StartRequest(request.Model, caller);
        if (activity is null)
        {
            return await run().ConfigureAwait(false);
        }

        activity.SetTag(StreamFlag, request.Stream);
        if (includeContent)
        {
            activity.SetTag(InputMessages, JsonSerializer.Serialize(request.Messages.Select(m => new { role = m.Role, content = m.Text })));
        }

        try
        {
            var outcome = await run().ConfigureAwait(false);
            Describe(activity, outcome);
            if (includeContent && outcome.Body is { } body && ResponseInspector.Inspect(body.ToMemory().Span).Content is { } answer)
            {
                activity.SetTag(OutputMessages, JsonSerializer.Serialize(new[] { new { role = "assistant", content = answer } }));
            }

            return outcome;
        }
        catch (Exception ex)
        {
            activity.SetStatus(ActivityStatusCode.Error, ex.Message);
            activity.SetTag(ErrorType, ex.GetType().FullName);
            throw;
        }
    }

    /// <summary>
    /// The span of a request refused before it reached the pipeline (bad key, bad body, rate limit), which has no span
    /// of its own yet; null inside a request's span, where the refusal is described by <see cref="TraceAsync"/>.
    /// </summary>
    public static Activity? StartRejected(string? requestedModel, CallerContext caller, ChatError error)
    {
        if (Activity.Current?.Source == Activities)
        {
            return null;
        }

        var activity = StartRequest(requestedModel, caller);
        if (activity is not null)
        {
            activity.SetTag(Status, "rejected");
            Failed(activity, error);
        }

        return activity;
    }

    /// <summary>The span of one model call, a child of the request's: named as the conventions name a chat call.</summary>
    public static Activity? StartAttempt(RoutedModel model, AttemptKind kind)
    {
        var activity = Activities.StartActivity(Chat + " " + model.Model.Id, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(OperationName, Chat);
            activity.SetTag(RequestModel, model.Model.Id);
            activity.SetTag(ProviderName, model.Provider.Name);
            activity.SetTag(Tier, model.Tier);
            activity.SetTag(Attempt, Kind(kind));
        }

        return activity;
    }

    /// <summary>
    /// Puts an attempt's outcome on the span of its call. A deployment skipped while its circuit is open was never called:
    /// it gets a span of no length of its own, so the trace still shows every attempt the ledger shows.
    /// </summary>
    public static void Attempted(RoutedModel model, AttemptRecord attempt)
    {
        if (Activity.Current is not { } current || current.Source != Activities)
        {
            return;
        }

        if (current.GetTagItem(Attempt) is not null && current.GetTagItem(AttemptOutcome) is null)
        {
            DescribeAttempt(current, model, attempt);
            return;
        }

        using var skipped = StartAttempt(model, attempt.Kind);
        if (skipped is not null)
        {
            DescribeAttempt(skipped, model, attempt);
        }
    }

    /// <summary>Measures one ledger row: the request's counts and cost, and each model call's tokens and duration.</summary>
    public void Record(LedgerEntry entry)
    {
        if (!_requests.Enabled && !_tokenUsage.Enabled && !_cost.Enabled && !_operationDuration.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { Status, StatusName(entry.Status) },
            { Protocol, entry.Protocol },
        };
        if (entry.Tier is { } tier)
        {
            tags.Add(Tier, tier);
        }

        if (ModelId(entry.Model, entry.Provider) is { } model)
        {
            tags.Add(Model, model);
        }

        if (entry.Rule is { } rule)
        {
            tags.Add(Rule, rule);
        }

        _requests.Add(1, tags);
        _requestDuration.Record(entry.LatencyMs / 1000, tags);
        _cost.Add((double)entry.Cost, tags);
        _baselineCost.Add((double)entry.BaselineCost, tags);
        _savings.Add((double)(entry.BaselineCost - entry.Cost), tags);
        if (entry.CachedTokens > 0)
        {
            _cachedTokens.Add(entry.CachedTokens, tags);
        }

        if (entry.Fallbacks > 0)
        {
            _fallbacks.Add(entry.Fallbacks, tags);
        }

        if (entry.Escalations > 0)
        {
            _escalations.Add(entry.Escalations, tags);
        }

        var operation = entry.Protocol == ClientProtocols.Embeddings ? "embeddings" : Chat;
        foreach (var attempt in entry.Attempts)
        {
            if (attempt.Outcome.StartsWith("skipped", StringComparison.Ordinal))
            {
                continue;
            }

            var id = ModelId(attempt.Model, attempt.Provider) ?? attempt.Model;
            var call = new TagList
            {
                { OperationName, operation },
                { ProviderName, attempt.Provider },
                { RequestModel, id },
                { Tier, attempt.Tier },
                { Attempt, Kind(attempt.Kind) },
            };
            var answered = attempt.Status is >= 200 and < 300;
            if (answered)
            {
                call.Add(ResponseModel, id);
            }
            else
            {
                call.Add(ErrorType, attempt.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            _operationDuration.Record(attempt.LatencyMs / 1000, call);
            if (answered || attempt.PromptTokens + attempt.CompletionTokens > 0)
            {
                var input = call;
                input.Add(TokenType, "input");
                _tokenUsage.Record(attempt.PromptTokens, input);
                var output = call;
                output.Add(TokenType, "output");
                _tokenUsage.Record(attempt.CompletionTokens, output);
            }
        }
    }

    private static Activity? StartRequest(string? requestedModel, CallerContext caller)
    {
        var name = string.IsNullOrEmpty(requestedModel) ? Chat : Chat + " " + requestedModel;
        var activity = Activities.StartActivity(name, ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(OperationName, Chat);
            if (!string.IsNullOrEmpty(requestedModel))
            {
                activity.SetTag(RequestModel, requestedModel);
            }

            activity.SetTag(RequestId, caller.RequestId);
            activity.SetTag(Protocol, caller.Protocol);
        }

        return activity;
    }

    private static void Describe(Activity activity, ChatOutcome outcome)
    {
        if (!activity.IsAllDataRequested)
        {
            return;
        }

        if (outcome.Model is { } model)
        {
            activity.SetTag(ProviderName, model.Provider.Name);
            if (outcome.IsSuccess || outcome.Usage.CompletionTokens > 0)
            {
                activity.SetTag(ResponseModel, model.Model.Id);
            }
        }

        activity.SetTag(InputTokens, outcome.Usage.PromptTokens);
        activity.SetTag(OutputTokens, outcome.Usage.CompletionTokens);
        activity.SetTag(CachedInputTokens, outcome.Usage.CachedPromptTokens);
        if (outcome.Decision is { } decision)
        {
            activity.SetTag(Tier, decision.Tier);
            activity.SetTag(Rule, decision.Rule);
            activity.SetTag(RuleSetVersion, decision.RuleSetVersion);
            activity.SetTag(Classifier, decision.Classifier);
            activity.SetTag(ClassifierScore, decision.ClassifierScore);
            activity.SetTag(Experiment, decision.ExperimentId);
            activity.SetTag(Arm, decision.Arm);
        }

        activity.SetTag(Cost, (double)outcome.Cost);
        activity.SetTag(BaselineCost, (double)outcome.BaselineCost);
        activity.SetTag(Savings, (double)outcome.Savings);
        activity.SetTag(Fallbacks, outcome.Attempts.Count(a => a.Kind == AttemptKind.Fallback));
        activity.SetTag(Escalations, outcome.Escalations);
        if (outcome.Review == ReviewState.Open)
        {
            activity.SetTag(Review, "open");
        }

        if (outcome.Error is { } error)
        {
            activity.SetTag(Status, outcome.Decision is null || outcome.Attempts.Count == 0 ? "rejected" : "failed");
            Failed(activity, error);
        }
        else
        {
            activity.SetTag(Status, "answered");
        }
    }

    private static void Failed(Activity activity, ChatError error)
    {
        activity.SetTag(ErrorType, error.Code);
        activity.SetTag(ResponseStatus, error.Status);
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
    }

    private static void DescribeAttempt(Activity activity, RoutedModel model, AttemptRecord attempt)
    {
        activity.SetTag(AttemptOutcome, attempt.Outcome.Length <= MaxOutcomeLength ? attempt.Outcome : attempt.Outcome[..MaxOutcomeLength]);
        activity.SetTag(ResponseStatus, attempt.Status);
        if (attempt.Status is >= 200 and < 300)
        {
            activity.SetTag(ResponseModel, model.Model.Id);
            activity.SetTag(InputTokens, attempt.PromptTokens);
            activity.SetTag(OutputTokens, attempt.CompletionTokens);
            activity.SetTag(CachedInputTokens, attempt.CachedTokens);
            activity.SetTag(Cost, (double)attempt.Cost);
        }
        else
        {
            activity.SetTag(ErrorType, attempt.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
            activity.SetStatus(ActivityStatusCode.Error, attempt.Outcome);
        }
    }

    private static string Kind(AttemptKind kind) => kind switch
    {
        AttemptKind.First => "first",
        AttemptKind.Retry => "retry",
        AttemptKind.Fallback => "fallback",
        AttemptKind.Escalation => "escalation",
        AttemptKind.Judge => "judge",
        AttemptKind.Sample => "sample",
        _ => kind.ToString().ToLowerInvariant(),
    };

    private static string StatusName(LedgerStatus status) => status switch
    {
        LedgerStatus.Answered => "answered",
        LedgerStatus.Failed => "failed",
        _ => "rejected",
    };

    /// <summary>A catalogue key (<c>provider/id</c>) without its provider: the model's name, as the conventions want it.</summary>
    private static string? ModelId(string? key, string? provider) =>
        key is null ? null
        : provider is not null && key.Length > provider.Length + 1 && key.StartsWith(provider, StringComparison.Ordinal) && key[provider.Length] == '/'
            ? key[(provider.Length + 1)..]
            : key;
}
