namespace CostConsole.Data.Entities;

public sealed class TierEntity
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>0 is the cheapest tier.</summary>
    public int Position { get; set; }
}

public sealed class ProviderEntity
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public required string BaseUrl { get; set; }

    /// <summary>The API key, protected with ASP.NET Data Protection; never shown back.</summary>
    public string? ProtectedApiKey { get; set; }

    public double TimeoutSeconds { get; set; } = 60;

    /// <summary>Retries of a call after a 429, 5xx or broken connection, before the next model is tried.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>How long a model of this provider is skipped after repeated failures, before it is probed again.</summary>
    public double CircuitBreakSeconds { get; set; } = 30;

    /// <summary>Approved to receive personal data (self-hosted, or under a data-processing agreement); rules that route personal data may only use such providers.</summary>
    public bool MayReceivePersonalData { get; set; }

    /// <summary>The API the provider speaks: <c>chat</c> or <c>anthropic</c> (see <c>ProviderProtocols</c>).</summary>
    public string Protocol { get; set; } = "chat";

    /// <summary>The provider offers OpenAI's batch interface (<c>/files</c> and <c>/batches</c>): a batch's lines for its models go there as one upstream batch.</summary>
    public bool HasBatchApi { get; set; }

    /// <summary>The client APIs the provider speaks itself, comma-separated (<c>responses</c>, <c>messages</c>): requests in them are passed through.</summary>
    public string NativeApis { get; set; } = "";

    public bool FromConfiguration { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();

    public List<ModelEntity> Models { get; set; } = [];
}

public sealed class ModelEntity
{
    public long Id { get; set; }

    public long ProviderId { get; set; }

    public ProviderEntity? Provider { get; set; }

    /// <summary>The id the provider knows the model by.</summary>
    public required string ModelId { get; set; }

    public required string DisplayName { get; set; }

    public required string Tier { get; set; }

    public long? ContextWindow { get; set; }

    public int Capabilities { get; set; }

    /// <summary>A <see cref="CostConsole.Routing.Catalogue.ModelKind"/>: 0 chat, 1 embedding.</summary>
    public int Kind { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTimeOffset UpdatedAt { get; set; }

    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();

    public List<ModelPriceEntity> Prices { get; set; } = [];
}

/// <summary>One effective-dated price version; editing a price adds a row, never rewrites one.</summary>
public sealed class ModelPriceEntity
{
    public long Id { get; set; }

    public long ModelId { get; set; }

    public ModelEntity? Model { get; set; }

    public DateTimeOffset EffectiveFrom { get; set; }

    public decimal InputPerMillion { get; set; }

    public decimal? CachedInputPerMillion { get; set; }

    public decimal OutputPerMillion { get; set; }

    public decimal? BatchDiscount { get; set; }

    /// <summary>USD per 1M prompt tokens written to the provider's prompt cache; null: billed as input.</summary>
    public decimal? CacheWritePerMillion { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public string? Author { get; set; }

    public string? Note { get; set; }
}

public sealed class TierMappingEntity
{
    public long Id { get; set; }

    public required string Name { get; set; }

    /// <summary>The mapping used when no experiment assigns another.</summary>
    public bool IsDefault { get; set; }

    /// <summary>JSON object: tier name → array of model references in fallback order.</summary>
    public required string TiersJson { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();
}

public enum RuleSetStatus
{
    Draft,
    Published,
    Archived,
}

public sealed class RuleSetEntity
{
    public long Id { get; set; }

    public int Version { get; set; }

    public RuleSetStatus Status { get; set; }

    /// <summary>The <c>RuleSetDefinition</c> as JSON.</summary>
    public required string DefinitionJson { get; set; }

    public string? Author { get; set; }

    public string? Note { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? PublishedAt { get; set; }

    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();
}

public sealed class ApiKeyEntity
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public string? Team { get; set; }

    /// <summary>The first characters of the secret, enough to recognise a key in a list.</summary>
    public required string Prefix { get; set; }

    /// <summary>SHA-256 of the secret, hex; the secret itself is never stored.</summary>
    public required string Hash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    /// <summary>Who created the key.</summary>
    public string? CreatedBy { get; set; }

    /// <summary>Tier names the key may be routed to, comma-separated; empty allows every tier.</summary>
    public string? AllowedTiers { get; set; }

    /// <summary>Model references (id or provider/id) the key may reach, comma-separated; empty allows every model.</summary>
    public string? AllowedModels { get; set; }

    /// <summary>Requests per minute; null is unlimited.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Prompt plus completion tokens per minute; null is unlimited.</summary>
    public long? TokensPerMinute { get; set; }

    /// <summary>Written in batches, so it can lag the real last use by up to a flush interval.</summary>
    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>
    /// What the key may reach, comma-separated scope names (<see cref="Keys.KeyScopeNames"/>): <c>inference</c>,
    /// <c>reporting</c>, <c>organisation</c>. Keys from before scopes existed are <c>inference</c> only.
    /// </summary>
    public string Scopes { get; set; } = Keys.KeyScopeNames.Inference;

    /// <summary>How this key's prompts are stored (<c>none</c>, <c>redacted</c>, <c>full</c>); null follows the global default.</summary>
    public string? PromptStorage { get; set; }
}

public enum BudgetScope
{
    Global,
    Team,
    Key,
    Tier,
    Model,
}

public enum BudgetPeriod
{
    Daily,
    Weekly,
    Monthly,
}

/// <summary>A spending limit over a calendar period for a slice of traffic, with alert thresholds.</summary>
public sealed class BudgetEntity
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public BudgetScope Scope { get; set; }

    /// <summary>The team name, key id, tier name or model reference the budget covers; null for <see cref="BudgetScope.Global"/>.</summary>
    public string? ScopeValue { get; set; }

    public BudgetPeriod Period { get; set; }

    /// <summary>The hard limit in nano-USD: a request whose worst case would pass it is refused.</summary>
    public long LimitNanoUsd { get; set; }

    /// <summary>Percentages of the limit that raise an alert, comma-separated, e.g. <c>50,80,100</c>.</summary>
    public required string AlertThresholds { get; set; }

    /// <summary>Alerts of this budget are also POSTed here as JSON.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>
    /// Reserve each request's worst case up front (every escalation at the priciest model): the limit is never passed,
    /// at the price of refusing requests while money remains. Otherwise requests reserve their expected cost.
    /// </summary>
    public bool Strict { get; set; }

    public bool Enabled { get; set; } = true;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public string? UpdatedBy { get; set; }
}

/// <summary>One alert raised: a budget threshold crossed in a period, or a conversation over its token ceiling.</summary>
public sealed class BudgetAlertEntity
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    public long? BudgetId { get; set; }

    /// <summary>Start of the budget period the alert belongs to; with the threshold, raises each alert once.</summary>
    public DateTimeOffset? PeriodStart { get; set; }

    /// <summary>Percentage of the limit crossed; 0 for a conversation alert.</summary>
    public int Threshold { get; set; }

    public string? ConversationId { get; set; }

    public required string Message { get; set; }

    /// <summary>Webhook delivery: null when none is configured, else delivered or failed.</summary>
    public string? Webhook { get; set; }
}

/// <summary>
/// A ledger row. Money is stored as whole nano-dollars (USD × 10⁹) so SQLite sums and sorts it exactly;
/// times are Unix milliseconds.
/// </summary>
public sealed class RequestLogRow
{
    public long Id { get; set; }

    public required string RequestId { get; set; }

    public DateTimeOffset Timestamp { get; set; }

    public long? ApiKeyId { get; set; }

    /// <summary>The team of the request's key when the request was recorded; null for no key, no team, or rows from before teams were recorded.</summary>
    public string? Team { get; set; }

    public string? ConversationId { get; set; }

    /// <summary>The end user the request was made for: its <c>user</c> field or the configured metadata field (at most 200 characters).</summary>
    public string? EndUser { get; set; }

    /// <summary>The API the client spoke: chat.completions, responses, messages, embeddings or playground.</summary>
    public string Protocol { get; set; } = "chat.completions";

    /// <summary>The batch the request ran in (a line of a <c>/v1/batches</c> job), priced at the batch price; null for interactive traffic.</summary>
    public string? BatchId { get; set; }

    public long? ExperimentId { get; set; }

    public string? Arm { get; set; }

    public string? RequestedModel { get; set; }

    public string? Tier { get; set; }

    public string? Model { get; set; }

    public string? Provider { get; set; }

    public string? Rule { get; set; }

    public string? Decision { get; set; }

    public string? Mapping { get; set; }

    public int? RuleSetVersion { get; set; }

    public long PromptTokens { get; set; }

    public long CachedTokens { get; set; }

    /// <summary>Prompt tokens written to the provider's prompt cache (billed at the cache-write price).</summary>
    public long CacheWriteTokens { get; set; }

    public long CompletionTokens { get; set; }

    public long CostNanoUsd { get; set; }

    public long BaselineCostNanoUsd { get; set; }

    public bool Priced { get; set; }

    public double LatencyMs { get; set; }

    public double? TimeToFirstTokenMs { get; set; }

    public int Status { get; set; }

    public int HttpStatus { get; set; }

    public string? ErrorCode { get; set; }

    public string? Error { get; set; }

    public bool Stream { get; set; }

    public int Fallbacks { get; set; }

    public int Escalations { get; set; }

    /// <summary>Part of the cost spent on quality control: answers thrown away by escalation, and judge calls.</summary>
    public long EscalationCostNanoUsd { get; set; }

    /// <summary>A <see cref="CostConsole.Routing.Pipeline.ReviewState"/>: open while a person has to look at the answer.</summary>
    public int Review { get; set; }

    public string? AttemptsJson { get; set; }

    public string? PromptHash { get; set; }

    public string? Prompt { get; set; }

    /// <summary>The answer's text, kept under the same prompt storage policy as <see cref="Prompt"/> and deleted with it.</summary>
    public string? Answer { get; set; }

    /// <summary>What rules read (last user message, turns, tools, metadata, tags, prompt tokens) as JSON, kept with the prompt so a draft can re-decide past traffic.</summary>
    public string? RoutingInput { get; set; }

    /// <summary>The kinds of personal data the request contained and their counts, e.g. <c>email 1, card 1</c>; never the values.</summary>
    public string? PersonalData { get; set; }

    /// <summary>The stored prompt had its personal data replaced by placeholders such as <c>[EMAIL]</c>.</summary>
    public bool PromptRedacted { get; set; }
    /// <summary>What the response cache did: exact, semantic, miss or bypass; null when it was off.</summary>
    public string? CacheLevel { get; set; }

    /// <summary>The cache entry a hit was served from.</summary>
    public string? CacheEntryId { get; set; }

    public double? CacheSimilarity { get; set; }

    /// <summary>On a hit, what the model that wrote the cached answer would have charged.</summary>
    public long CacheAvoidedCostNanoUsd { get; set; }

    /// <summary>The estimated cost of moving a long conversation off the model whose provider cache was warm; 0 when it did not move.</summary>
    public long ColdCacheCostNanoUsd { get; set; }

    /// <summary>The trained model in shadow when the classifier decided this request ("name@version"); null when none was.</summary>
    public string? ShadowModel { get; set; }

    /// <summary>The tier the shadow model chose (never served); null when it failed or did not decide.</summary>
    public string? ShadowTier { get; set; }

    /// <summary>The shadow's scores per tier and its policy, or why it failed.</summary>
    public string? ShadowDecision { get; set; }
    /// <summary>Exploration served a tier one off the trained classifier's choice.</summary>
    public bool Explored { get; set; }

    /// <summary>The probability the served tier had of being chosen when exploration was on; null when it was off.</summary>
    public double? Propensity { get; set; }
}

/// <summary>Who changed what, when: publishes, rollbacks and other changes people must be able to trace.</summary>
public sealed class AuditLogEntity
{
    public long Id { get; set; }

    public DateTimeOffset At { get; set; }

    public required string Actor { get; set; }

    /// <summary>A stable verb, e.g. <c>rule-set.publish</c>.</summary>
    public required string Action { get; set; }

    public required string Subject { get; set; }

    public string? Details { get; set; }
}

/// <summary>A prompt with the tier it should get, saved from the playground for the rule editor's labelled check.</summary>
public sealed class LabelledExampleEntity
{
    public long Id { get; set; }

    /// <summary>The prompt as the rules read it: the last user message. Unique, so saving it again changes its tier.</summary>
    public required string Prompt { get; set; }

    public required string ExpectedTier { get; set; }

    public string? Note { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public required string CreatedBy { get; set; }
}

public enum ExperimentState
{
    Draft,
    Running,
    Stopped,
}

/// <summary>An A/B experiment of tier mappings: a control and variant arms, a scope, a split and a sticky unit.</summary>
public sealed class ExperimentEntity
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public ExperimentState State { get; set; }

    /// <summary>The assignment unit (<c>AssignmentUnitKind</c>): API key, end user or conversation.</summary>
    public int Unit { get; set; }

    /// <summary>Mixed into the assignment hash; a new experiment gets a fresh one so it splits units anew.</summary>
    public required string Salt { get; set; }

    /// <summary>The scope as JSON (<c>ExperimentScope</c>).</summary>
    public required string ScopeJson { get; set; }

    /// <summary>The arms as JSON: name, weight and tier mapping, the control first.</summary>
    public required string ArmsJson { get; set; }

    /// <summary>The resolution rate expected of the control, for the minimum sample size (0–1).</summary>
    public double BaselineResolution { get; set; } = 0.8;

    /// <summary>The smallest change in resolution rate worth detecting, in percentage points.</summary>
    public double MinimumEffectPoints { get; set; } = 5;

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? StartedAt { get; set; }

    public DateTimeOffset? StoppedAt { get; set; }

    public string? PromotedArm { get; set; }

    public Guid ConcurrencyStamp { get; set; } = Guid.NewGuid();
}

/// <summary>Outcome feedback on one request: first-contact resolution, satisfaction and a comment. One row per request.</summary>
public sealed class FeedbackEntity
{
    public long Id { get; set; }

    public required string RequestId { get; set; }

    public string? ConversationId { get; set; }

    public bool? Resolved { get; set; }

    /// <summary>Customer satisfaction, 1–5.</summary>
    public int? Csat { get; set; }

    public string? Comment { get; set; }

    /// <summary>Where it came from: the API, the console or simulated outcomes (the column <c>Source</c>).</summary>
    public required string Origin { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
