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

    /// <summary>Recompute every <c>expression = value</c> the answer states; null: not checked.</summary>
    public ArithmeticGate? Arithmetic { get; init; }

    /// <summary>When the request asks for one answer, the answer must state exactly one; null: not checked.</summary>
    public FinalAnswerGate? FinalAnswer { get; init; }

    /// <summary>Ask the same tier again and compare final answers; null: off (it costs extra calls).</summary>
    public SelfConsistencyGate? SelfConsistency { get; init; }
}

/// <summary>The arithmetic-consistency gate: a stated value further than <see cref="Tolerance"/> units of its last digit from the recomputed one fails.</summary>
public sealed record ArithmeticGate
{
    public decimal Tolerance { get; init; } = ArithmeticConsistency.DefaultTolerance;
}

/// <summary>
/// The one-final-answer gate. Option letters, numbers and yes/no are recognised from the question; an admin
/// <see cref="Pattern"/> with a named group <c>answer</c> applies to every request, or to those matching <see cref="QuestionPattern"/>.
/// </summary>
public sealed record FinalAnswerGate
{
    /// <summary>A regular expression over the answer whose <c>(?&lt;answer&gt;…)</c> group is the final answer, e.g. <c>Ticket: (?&lt;answer&gt;[A-Z]+-\d+)</c>.</summary>
    public string? Pattern { get; init; }

    /// <summary>When given, <see cref="Pattern"/> applies only to requests whose question matches it.</summary>
    public string? QuestionPattern { get; init; }
}

/// <summary>Self-consistency: the same tier answers <see cref="Samples"/> more times at <see cref="Temperature"/>; a different final answer escalates.</summary>
public sealed record SelfConsistencyGate
{
    public const int MaxSamples = 4;

    public int Samples { get; init; } = 1;

    public double Temperature { get; init; } = 0.7;
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
