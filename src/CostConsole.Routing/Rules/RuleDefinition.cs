using System.Text.Json.Serialization;

namespace CostConsole.Routing.Rules;

/// <summary>A published or draft rule set: ordered rules, first match wins; otherwise the classifier decides.</summary>
public sealed record RuleSetDefinition
{
    public IReadOnlyList<RuleDefinition> Rules { get; init; } = [];

    /// <summary>The tier for a request no rule catches, when the classifier has no better answer.</summary>
    public required string DefaultTier { get; init; }

    public ClassifierDefinition Classifier { get; init; } = new();

    /// <summary>The quality gates per tier and how far a request may escalate.</summary>
    public Escalation.EscalationPolicy Escalation { get; init; } = new();

    /// <summary>
    /// The models serving each tier, in fallback order, when this rule set brings its own (an experiment arm
    /// rolled out into a draft); null serves the catalogue's default tier mapping. Kept with the version, so a
    /// rollback restores the mapping that version served.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? TierMapping { get; init; }
}

/// <summary>How requests no rule catches are classified; only the part for the chosen <see cref="Kind"/> is read.</summary>
public sealed record ClassifierDefinition
{
    public ClassifierKind Kind { get; init; } = ClassifierKind.DefaultTier;

    /// <summary>Used by <see cref="ClassifierKind.Semantic"/> and <see cref="ClassifierKind.Hybrid"/>.</summary>
    public SemanticClassifierDefinition? Semantic { get; init; }

    /// <summary>Used by <see cref="ClassifierKind.Llm"/> and <see cref="ClassifierKind.Hybrid"/>.</summary>
    public LlmClassifierDefinition? Llm { get; init; }

    /// <summary>Used by <see cref="ClassifierKind.Trained"/>.</summary>
    public TrainedClassifierDefinition? Trained { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<ClassifierKind>))]
public enum ClassifierKind
{
    /// <summary>Every request no rule catches goes to the rule set's default tier.</summary>
    DefaultTier,

    /// <summary>The tier of the most similar example prompts, when they are similar enough.</summary>
    Semantic,

    /// <summary>A cheap model reads the prompt and answers with a label.</summary>
    Llm,

    /// <summary>Semantic first; the LLM only when no example is similar enough.</summary>
    Hybrid,

    /// <summary>A trained model predicts, per tier, the probability that its answer is acceptable; the policy picks the tier.</summary>
    Trained,
}

/// <summary>
/// A trained router model and the policy that turns its per-tier probabilities into a tier: the cheapest tier
/// whose probability reaches <see cref="QualityTarget"/>, or the tier maximising P(acceptable) − <see cref="Lambda"/> × relative cost.
/// </summary>
public sealed record TrainedClassifierDefinition
{
    public const double DefaultQualityTarget = 0.9;

    public const double DefaultLambda = 0.5;

    /// <summary>The model, as "name@version": a stored model, or a shipped one such as <c>shipped-support@1</c>.</summary>
    public string Model { get; init; } = "";

    public TrainedPolicy Policy { get; init; } = TrainedPolicy.QualityTarget;

    /// <summary>0..1: how likely the chosen tier's answer must be acceptable.</summary>
    public double QualityTarget { get; init; } = DefaultQualityTarget;

    /// <summary>For <see cref="TrainedPolicy.CostAware"/>: how much quality one unit of relative cost (the top tier = 1) is worth giving up.</summary>
    public double Lambda { get; init; } = DefaultLambda;

    /// <summary>The highest exploration share a rule set may set.</summary>
    public const double MaxExploration = 0.5;

    /// <summary>
    /// 0..0.5: the share of requests this classifier decides that are sent one tier off its choice, so retraining
    /// learns what the neighbouring tier would have done. 0 (the default) never explores.
    /// </summary>
    public double Exploration { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<TrainedPolicy>))]
public enum TrainedPolicy
{
    /// <summary>The cheapest tier whose probability reaches the quality target.</summary>
    QualityTarget,

    /// <summary>The tier with the best expected quality minus λ × relative cost.</summary>
    CostAware,
}

/// <summary>
/// Example prompts per tier. A request goes to the tier its <see cref="Neighbours"/> nearest examples vote for
/// (weighted by similarity), provided the nearest one is at least <see cref="Threshold"/> similar; otherwise to the default tier.
/// </summary>
public sealed record SemanticClassifierDefinition
{
    public const double DefaultThreshold = 0.3;

    public const int DefaultNeighbours = 5;

    /// <summary>Tier → example prompts.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Examples { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>Cosine similarity, 0..1, the nearest example must reach.</summary>
    public double Threshold { get; init; } = DefaultThreshold;

    /// <summary>How many nearest examples vote (k).</summary>
    public int Neighbours { get; init; } = DefaultNeighbours;

    /// <summary>How prompts become vectors; MiniLM (local sentence embeddings) unless chosen otherwise.</summary>
    public Vectoriser Vectoriser { get; init; } = Vectoriser.MiniLm;

    /// <summary>The catalogue model (provider/id, or id) that embeds prompts; only for <see cref="Vectoriser.Embeddings"/>.</summary>
    public string? EmbeddingModel { get; init; }
}

[JsonConverter(typeof(JsonStringEnumConverter<Vectoriser>))]
public enum Vectoriser
{
    /// <summary>Word and character n-grams with TF-IDF weights, computed in-process: no model, no network.</summary>
    HashedTfIdf,

    /// <summary>An OpenAI-compatible embeddings model from the catalogue.</summary>
    Embeddings,

    /// <summary>
    /// Sentence embeddings from all-MiniLM-L6-v2 (384 dimensions), run in this process: no network, no key. Similar
    /// meanings score close even without shared words. The default.
    /// </summary>
    MiniLm,
}

/// <summary>A cheap model classifies the prompt: the system message is <see cref="Prompt"/>, the user message the request's last user message.</summary>
public sealed record LlmClassifierDefinition
{
    /// <summary>The sentence the prompt must keep (with its <c>{labels}</c> placeholder); the simulator also recognises classification requests by it.</summary>
    public const string LabelsInstruction = "Answer with exactly one of these labels: {labels}.";

    public const string LabelsPlaceholder = "{labels}";

    public const int DefaultMaxTokens = 5;

    public static readonly string DefaultPrompt =
        "You route requests to the cheapest model that can answer them well. Read the user's message and judge how "
        + "capable a model must be to answer it: a short factual or support question needs the least, a multi-step "
        + "analysis, plan or piece of code needs the most. Do not answer the message itself. "
        + LabelsInstruction
        + " Reply with the label only.";

    public string Prompt { get; init; } = DefaultPrompt;

    /// <summary>Label the model answers → tier. Labels are single words, matched case-insensitively.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The catalogue model (provider/id, or id) that classifies.</summary>
    public string Model { get; init; } = "";

    public int MaxTokens { get; init; } = DefaultMaxTokens;
}

public sealed record RuleDefinition
{
    public required string Name { get; init; }

    public bool Enabled { get; init; } = true;

    /// <summary>All conditions must hold for the rule to fire.</summary>
    public IReadOnlyList<RuleCondition> Conditions { get; init; } = [];

    public required RuleAction Action { get; init; }

    /// <summary>Prompts the rule is meant to catch. Routing ignores them; the editor checks that no earlier rule catches them first.</summary>
    public IReadOnlyList<string> Examples { get; init; } = [];

    /// <summary>
    /// A hard rule moves a conversation even while conversation affinity would keep it on the model whose prompt cache is
    /// warm. Rules that pin a model or test for personal data are always hard; other rules yield to affinity unless set.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool Hard { get; init; }
}

/// <summary>What a firing rule does: send the request to a tier, or pin one model.</summary>
public sealed record RuleAction
{
    public string? Tier { get; init; }

    public string? Model { get; init; }

    public static RuleAction ToTier(string tier) => new() { Tier = tier };

    public static RuleAction ToModel(string model) => new() { Model = model };
}

[JsonPolymorphic(TypeDiscriminatorPropertyName = "type")]
[JsonDerivedType(typeof(KeywordCondition), "keywords")]
[JsonDerivedType(typeof(RegexCondition), "regex")]
[JsonDerivedType(typeof(TokenLengthCondition), "tokens")]
[JsonDerivedType(typeof(MetadataCondition), "metadata")]
[JsonDerivedType(typeof(ToolsCondition), "tools")]
[JsonDerivedType(typeof(TurnsCondition), "turns")]
[JsonDerivedType(typeof(PersonalDataCondition), "personal-data")]
public abstract record RuleCondition;

[JsonConverter(typeof(JsonStringEnumConverter<KeywordMatch>))]
public enum KeywordMatch
{
    Any,
    All,
}

/// <summary>Whole words or phrases in the last user message, case-insensitive.</summary>
public sealed record KeywordCondition(KeywordMatch Match, IReadOnlyList<string> Keywords) : RuleCondition;

/// <summary>A .NET regular expression over the last user message, case-insensitive, bounded by the match timeout.</summary>
public sealed record RegexCondition(string Pattern) : RuleCondition;

/// <summary>The whole prompt's token count (all messages) within [Min, Max]; either bound may be open.</summary>
public sealed record TokenLengthCondition(long? Min, long? Max) : RuleCondition;

/// <summary>
/// A request metadata value (the <c>metadata</c> object, the <c>user</c> field as key "user", or
/// <c>key=value</c> pairs of the <c>x-costconsole-tags</c> header) equals one of <see cref="Values"/>.
/// The key "tags" tests the header's bare tags. No values means the key is merely present.
/// </summary>
public sealed record MetadataCondition(string Key, IReadOnlyList<string> Values) : RuleCondition;

public sealed record ToolsCondition(bool Present) : RuleCondition;

/// <summary>
/// The request (any message) contains personal data: of the listed kinds (<c>email</c>, <c>phone</c>, <c>card</c>,
/// <c>iban</c>, <c>ip</c>, or an admin pattern's name), or of any kind when the list is empty. A rule set with such a
/// rule sends personal data only to providers marked "may receive personal data".
/// </summary>
public sealed record PersonalDataCondition(IReadOnlyList<string> Kinds) : RuleCondition;

/// <summary>The number of user turns in the conversation within [Min, Max].</summary>
public sealed record TurnsCondition(int? Min, int? Max) : RuleCondition;
