namespace CostConsole.Routing.Telemetry;

/// <summary>
/// Attribute and instrument names: those of the OpenTelemetry GenAI semantic conventions where they define one, and
/// CostConsole's own (<c>costconsole.*</c>) for what they do not — cost above all.
/// </summary>
public static class TelemetryNames
{
    /// <summary>The engine's <see cref="System.Diagnostics.ActivitySource"/> and <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string Source = "CostConsole.Routing";

    public const string Chat = "chat";

    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string InputTokens = "gen_ai.usage.input_tokens";
    public const string OutputTokens = "gen_ai.usage.output_tokens";
    public const string CachedInputTokens = "gen_ai.usage.cache_read.input_tokens";
    public const string TokenType = "gen_ai.token.type";
    public const string InputMessages = "gen_ai.input.messages";
    public const string OutputMessages = "gen_ai.output.messages";
    public const string ErrorType = "error.type";
    public const string ResponseStatus = "http.response.status_code";

    public const string RequestId = "costconsole.request.id";
    public const string Protocol = "costconsole.protocol";
    public const string Status = "costconsole.status";
    public const string Tier = "costconsole.tier";
    public const string Model = "costconsole.model";
    public const string Rule = "costconsole.rule";
    public const string RuleSetVersion = "costconsole.rule_set.version";
    public const string Classifier = "costconsole.classifier";
    public const string ClassifierScore = "costconsole.classifier.score";
    public const string Cost = "costconsole.cost_usd";
    public const string BaselineCost = "costconsole.baseline_cost_usd";
    public const string Savings = "costconsole.savings_usd";
    public const string Experiment = "costconsole.experiment.id";
    public const string Arm = "costconsole.experiment.arm";
    public const string Fallbacks = "costconsole.fallbacks";
    public const string Escalations = "costconsole.escalations";
    public const string Review = "costconsole.review";
    public const string Attempt = "costconsole.attempt.kind";
    public const string StreamFlag = "costconsole.stream";
    public const string AttemptOutcome = "costconsole.attempt.outcome";

    // Instruments. The gen_ai.client.* pair is as the conventions define it, one measurement per model call.
    public const string TokenUsageMetric = "gen_ai.client.token.usage";
    public const string OperationDurationMetric = "gen_ai.client.operation.duration";
    public const string RequestsMetric = "costconsole.requests";
    public const string RequestDurationMetric = "costconsole.request.duration";
    public const string CostMetric = "costconsole.cost";
    public const string BaselineCostMetric = "costconsole.baseline_cost";
    public const string SavingsMetric = "costconsole.savings";
    public const string CachedTokensMetric = "costconsole.cached_tokens";
    public const string FallbacksMetric = "costconsole.fallbacks";
    public const string EscalationsMetric = "costconsole.escalations";
}
