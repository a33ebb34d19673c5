using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pricing;

namespace CostConsole.Routing.Pipeline;

/// <summary>What the pipeline did with one request: the decision, the model that answered, tokens, cost and the answer.</summary>
public sealed class ChatOutcome
{
    public required string RequestId { get; init; }

    public RoutingDecision? Decision { get; init; }

    /// <summary>The model that answered (or was tried last when none did).</summary>
    public RoutedModel? Model { get; init; }

    public TokenUsage Usage { get; init; }

    public decimal Cost { get; init; }

    public decimal BaselineCost { get; init; }

    public decimal Savings => BaselineCost - Cost;

    /// <summary>False when the answering model had no price in force at the request's time.</summary>
    public bool Priced { get; init; }

    public double LatencyMs { get; init; }

    public double? TimeToFirstTokenMs { get; init; }

    public IReadOnlyList<AttemptRecord> Attempts { get; init; } = [];

    /// <summary>How many times a failed quality gate sent the request one tier up.</summary>
    public int Escalations { get; init; }

    /// <summary>Open when the top tier's answer also failed its gates: it is returned, flagged for a person.</summary>
    public ReviewState Review { get; init; }

    /// <summary>Part of <see cref="Cost"/> spent on quality control: answers thrown away by escalation, and judge calls.</summary>
    public decimal EscalationCost { get; init; }

    /// <summary>The provider's answer, passed to the client as it is (non-streaming only).</summary>
    public BinaryData? Body { get; init; }

    /// <summary>
    /// The answer's text (the first choice's content), read only when the caller's prompt storage keeps it; what the
    /// ledger stores as the answer.
    /// </summary>
    public string? AnswerText { get; init; }

    /// <summary>Upstream's status when the answer is passed through, else 200.</summary>
    public int Status { get; init; } = 200;

    public ChatError? Error { get; init; }

    /// <summary>What the response cache did with the request; null when it was not looked up.</summary>
    public Caching.CacheLookup? Cache { get; init; }

    /// <summary>On a cache hit, what the model that wrote the answer would have charged for this request.</summary>
    public decimal CacheAvoidedCost { get; init; }

    /// <summary>
    /// The estimated cost of moving a long conversation off the model whose provider cache was warm: the prefix it likely
    /// held, at what that cache would have saved on it. Zero when the conversation did not move.
    /// </summary>
    public decimal ColdCacheCost { get; init; }

    public bool IsSuccess => Error is null;
}

/// <summary>Where a streamed answer goes. Nothing reaches it until the first event of a working model has arrived.</summary>
public interface IChatStreamSink
{
    /// <summary>The stream is committed to <paramref name="model"/>: send the response headers.</summary>
    ValueTask BeginAsync(RoutingDecision decision, RoutedModel model, CancellationToken cancellationToken);

    /// <summary>One event's JSON payload, to be written as <c>data: …</c>.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> payload, CancellationToken cancellationToken);

    /// <summary>The answer is complete and recorded: write <c>data: [DONE]</c>.</summary>
    ValueTask EndAsync(CancellationToken cancellationToken);

    /// <summary>The stream broke after the client had bytes: write an OpenAI-style error event.</summary>
    ValueTask FailAsync(ChatError error, CancellationToken cancellationToken);

    /// <summary>True once <see cref="BeginAsync"/> has run.</summary>
    bool HasStarted { get; }

    /// <summary>What the response cache did, told before <see cref="BeginAsync"/> so it can go in the headers; null when it was not looked up.</summary>
    void Cached(Caching.CacheLookup? lookup)
    {
    }
}
