namespace CostConsole.Routing.Pipeline;

public enum LedgerStatus
{
    /// <summary>A model answered.</summary>
    Answered,

    /// <summary>Routed, but no model could answer.</summary>
    Failed,

    /// <summary>Refused before routing: bad key, bad request, unknown model.</summary>
    Rejected,
}

/// <summary>Whether a person has to look at an answer: the top tier failed its quality gates.</summary>
public enum ReviewState
{
    None,

    /// <summary>Flagged for human escalation and waiting in the console's queue.</summary>
    Open,

    /// <summary>Somebody dealt with it.</summary>
    Closed,
}

/// <summary>Why a model was called.</summary>
[System.Text.Json.Serialization.JsonConverter(typeof(System.Text.Json.Serialization.JsonStringEnumConverter<AttemptKind>))]
public enum AttemptKind
{
    /// <summary>The decision's first model.</summary>
    First,

    /// <summary>The same model again after a transient failure (429, 5xx, timeout, broken connection).</summary>
    Retry,

    /// <summary>The next model after the previous one failed, or its circuit was open.</summary>
    Fallback,

    /// <summary>One tier up, because the previous answer failed a quality gate.</summary>
    Escalation,

    /// <summary>A judge model grading the previous answer (a quality gate); its cost is part of the request's.</summary>
    Judge,

    /// <summary>The same tier asked again for self-consistency (a quality gate); its cost is part of the request's.</summary>
    Sample,
}

/// <summary>One model call within a request: the first try, every retry, fallback and escalation.</summary>
public sealed record AttemptRecord(string Model, string Provider, string Tier, int Status, string Outcome, long PromptTokens, long CompletionTokens, decimal Cost, double LatencyMs)
{
    public AttemptKind Kind { get; init; }

    public long CachedTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's prompt cache, billed at the cache-write price.</summary>
    public long CacheWriteTokens { get; init; }

    /// <summary>The quality gates this attempt's answer was checked against (none when the tier has no gates or the call failed).</summary>
    public IReadOnlyList<Escalation.GateResult>? Gates { get; init; }

    /// <summary>The answer's confidence (a low quantile of its token probabilities), when logprobs were read.</summary>
    public double? Confidence { get; init; }

    /// <summary>The provider answered in the client's own API (Responses, Messages), passed through rather than translated.</summary>
    public bool PassedThrough { get; init; }

    public bool PassedGates => Gates is null || Gates.All(g => g.Passed);
}

/// <summary>One row of the ledger: every request, answered, failed or rejected.</summary>
public sealed class LedgerEntry
{
    public required string RequestId { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    public long? ApiKeyId { get; init; }

    /// <summary>The team of the request's key when the row was written; the ledger writer fills it from the key.</summary>
    public string? Team { get; set; }

    public string? ConversationId { get; init; }

    /// <summary>The end user the request was made for (<see cref="EndUsers"/>), when the client named one.</summary>
    public string? EndUser { get; init; }

    /// <summary>The API the client spoke (<see cref="ClientProtocols"/>).</summary>
    public string Protocol { get; init; } = ClientProtocols.ChatCompletions;

    /// <summary>The batch the request ran in, when it is a line of a batch: priced at the model's batch price.</summary>
    public string? BatchId { get; init; }

    /// <summary>The experiment the request took part in, and the arm it was assigned.</summary>
    public long? ExperimentId { get; init; }

    public string? Arm { get; init; }

    public string? RequestedModel { get; init; }

    public string? Tier { get; init; }

    /// <summary>The catalogue key (provider/id) of the model that answered, or was tried last.</summary>
    public string? Model { get; init; }

    public string? Provider { get; init; }

    public string? Rule { get; init; }

    public string? Decision { get; init; }

    public string? Mapping { get; init; }

    public int? RuleSetVersion { get; init; }

    public long PromptTokens { get; init; }

    public long CachedTokens { get; init; }

    /// <summary>Prompt tokens written to the provider's prompt cache, billed at the cache-write price.</summary>
    public long CacheWriteTokens { get; init; }

    public long CompletionTokens { get; init; }

    public decimal Cost { get; init; }

    public decimal BaselineCost { get; init; }

    public bool Priced { get; init; }

    public double LatencyMs { get; init; }

    public double? TimeToFirstTokenMs { get; init; }

    public required LedgerStatus Status { get; init; }

    public int HttpStatus { get; init; }

    public string? ErrorCode { get; init; }

    public string? Error { get; init; }

    public bool Stream { get; init; }

    public int Fallbacks { get; init; }

    /// <summary>How many times a failed quality gate sent the request one tier up.</summary>
    public int Escalations { get; init; }

    public ReviewState Review { get; init; }

    /// <summary>What quality control added to <see cref="Cost"/>: answers thrown away by escalation, and judge calls.</summary>
    public decimal EscalationCost { get; init; }

    public IReadOnlyList<AttemptRecord> Attempts { get; init; } = [];

    public string? PromptHash { get; init; }

    public string? Prompt { get; init; }

    /// <summary>The answer's text, kept under the same prompt storage policy as <see cref="Prompt"/> (and redacted with it).</summary>
    public string? Answer { get; init; }

    /// <summary>The request's <see cref="Requests.RoutingInput"/> as JSON, stored with the prompt.</summary>
    public string? RoutingInput { get; init; }

    /// <summary>The kinds of personal data found and their counts (e.g. <c>email 1, card 1</c>), never the values; null when none.</summary>
    public string? PersonalData { get; init; }

    /// <summary>The stored prompt had personal data replaced by placeholders.</summary>
    public bool PromptRedacted { get; init; }
    /// <summary>What the response cache did: exact or semantic (a hit), miss, or bypass (the policy left it out); null when it is off.</summary>
    public string? CacheLevel { get; init; }

    /// <summary>The cache entry a hit was served from.</summary>
    public string? CacheEntryId { get; init; }

    /// <summary>The cosine similarity of a hit (1 for an exact one).</summary>
    public double? CacheSimilarity { get; init; }

    /// <summary>What the model that wrote the cached answer would have charged for this request: what the hit saved.</summary>
    public decimal CacheAvoidedCost { get; init; }

    /// <summary>The estimated cost of moving a long conversation off its warm model (see <see cref="ChatOutcome.ColdCacheCost"/>).</summary>
    public decimal ColdCacheCost { get; init; }

    /// <summary>The trained model in shadow ("name@version") when the classifier decided this request; null otherwise.</summary>
    public string? ShadowModel { get; init; }

    /// <summary>The tier the shadow model chose, never served; null when it failed.</summary>
    public string? ShadowTier { get; init; }

    /// <summary>The shadow's scores and policy, or why it failed.</summary>
    public string? ShadowDecision { get; init; }
    /// <summary>Exploration served a tier one off the trained classifier's choice.</summary>
    public bool Explored { get; init; }

    /// <summary>The probability the served tier had of being chosen when exploration was on (null when off): retraining weights the answer by its inverse.</summary>
    public double? Propensity { get; init; }
}

/// <summary>The durable record of requests. A completed <see cref="RecordAsync"/> means the row is committed.</summary>
public interface ILedger
{
    ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default);
}
