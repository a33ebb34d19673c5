namespace CostConsole.Routing.Escalation;

/// <summary>
/// When an answer from a cheap tier is not good enough: the quality gates each tier's answers must pass, and how
/// many times a request may move one tier up. Part of the rule set, so it is drafted, diffed and published with it.
/// </summary>
public sealed record EscalationPolicy
{
    public const int MaxAllowedEscalations = 5;

    /// <summary>How many times one request may be sent one tier up; 0 turns escalation off.</summary>
    public int MaxEscalations { get; init; } = 1;

    /// <summary>The gates per tier; a tier without an entry accepts every answer.</summary>
    public IReadOnlyList<TierGates> Tiers { get; init; } = [];

    public TierGates? For(string tier) => Tiers.FirstOrDefault(t => string.Equals(t.Tier, tier, StringComparison.Ordinal));
}

/// <summary>The checks an answer from one tier must pass; any failed gate escalates the request.</summary>
public sealed record TierGates
{
    public static readonly IReadOnlyList<string> DefaultRefusalPhrases =
    [
        "I can't help with that", "I cannot help with that", "I'm unable to help", "I am unable to help",
        "I'm not able to help", "I can't assist with", "I cannot assist with", "I'm sorry, but I can't",
    ];

    public required string Tier { get; init; }

    /// <summary>
    /// The answer's confidence must reach this probability (0..1), or it escalates. Confidence is the
    /// <see cref="ConfidenceQuantile"/> of the answer's token probabilities, read from logprobs; null: no confidence gate.
    /// </summary>
    public double? MinConfidence { get; init; }

    /// <summary>Which low quantile of token probabilities is the confidence, e.g. 0.1 for the 10th percentile.</summary>
    public double ConfidenceQuantile { get; init; } = 0.1;

    /// <summary>When the request asked for JSON, the answer must parse (and match the request's JSON schema, when it gave one).</summary>
    public bool ValidateJson { get; init; } = true;

    /// <summary>Regular expressions the answer must match (each of them).</summary>
    public IReadOnlyList<string> MustMatch { get; init; } = [];

    /// <summary>Regular expressions the answer must not match (none of them).</summary>
    public IReadOnlyList<string> MustNotMatch { get; init; } = [];

    /// <summary>Phrases that mark a refusal, matched case-insensitively anywhere in the answer.</summary>
    public IReadOnlyList<string> RefusalPhrases { get; init; } = [];

    /// <summary>Escalate an answer cut off by its token limit (<c>finish_reason: length</c>).</summary>
    public bool EscalateOnTruncation { get; init; } = true;

    /// <summary>Optionally, a model that grades the answer.</summary>
    public JudgeDefinition? Judge { get; init; }
}

/// <summary>
/// A model that reads the question and the answer and replies with a score from 1 to 5; below <see cref="MinScore"/> escalates.
/// The prompt's <c>{question}</c> and <c>{answer}</c> placeholders are filled in.
/// </summary>
public sealed record JudgeDefinition
{
    public const string QuestionPlaceholder = "{question}";

    public const string AnswerPlaceholder = "{answer}";

    public static readonly string DefaultPrompt =
        "You grade answers of a customer support assistant. Question:\n{question}\n\nAnswer:\n{answer}\n\n"
        + "Does the answer fully and correctly resolve the question? Reply with a single digit from 1 (useless) to 5 (complete and correct).";

    /// <summary>The catalogue model (provider/id, or id) that judges.</summary>
    public string Model { get; init; } = "";

    public string Prompt { get; init; } = DefaultPrompt;

    /// <summary>1..5: answers scored below it escalate.</summary>
    public int MinScore { get; init; } = 3;
}
