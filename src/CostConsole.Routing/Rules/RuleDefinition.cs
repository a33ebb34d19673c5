using System.Text.Json.Serialization;

namespace CostConsole.Routing.Rules;

/// <summary>A published or draft rule set: ordered rules, first match wins; otherwise the classifier decides.</summary>
public sealed record RuleSetDefinition
{
    public IReadOnlyList<RuleDefinition> Rules { get; init; } = [];

    /// <summary>The tier for a request no rule catches, when the classifier has no better answer.</summary>
    public required string DefaultTier { get; init; }

    public ClassifierDefinition Classifier { get; init; } = new();
}

/// <summary>How requests no rule catches are classified. Only the default tier exists so far.</summary>
public sealed record ClassifierDefinition
{
    public ClassifierKind Kind { get; init; } = ClassifierKind.DefaultTier;
}

[JsonConverter(typeof(JsonStringEnumConverter<ClassifierKind>))]
public enum ClassifierKind
{
    DefaultTier,
}

public sealed record RuleDefinition
{
    public required string Name { get; init; }

    public bool Enabled { get; init; } = true;

    /// <summary>All conditions must hold for the rule to fire.</summary>
    public IReadOnlyList<RuleCondition> Conditions { get; init; } = [];

    public required RuleAction Action { get; init; }
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

/// <summary>The number of user turns in the conversation within [Min, Max].</summary>
public sealed record TurnsCondition(int? Min, int? Max) : RuleCondition;
