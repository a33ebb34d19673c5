using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using FluentValidation;

namespace CostConsole.Web.Routing;

public enum ConditionType
{
    Keywords,
    Regex,
    Tokens,
    Metadata,
    Tools,
    Turns,
    PersonalData,
}

/// <summary>One condition as the conditions builder edits it.</summary>
public sealed class ConditionForm
{
    public ConditionType Type { get; set; }

    public KeywordMatch Match { get; set; }

    /// <summary>Comma-separated keywords or phrases.</summary>
    public string Keywords { get; set; } = "";

    public string Pattern { get; set; } = "";

    public long? Min { get; set; }

    public long? Max { get; set; }

    public string Key { get; set; } = "";

    /// <summary>Comma-separated values; empty means the key is merely present.</summary>
    public string Values { get; set; } = "";

    public bool Present { get; set; } = true;

    /// <summary>Comma-separated kinds of personal data (email, phone, card, iban, ip, or a pattern's name); empty means any kind.</summary>
    public string Kinds { get; set; } = "";

    public static ConditionForm From(RuleCondition condition) => condition switch
    {
        KeywordCondition k => new ConditionForm { Type = ConditionType.Keywords, Match = k.Match, Keywords = string.Join(", ", k.Keywords) },
        RegexCondition r => new ConditionForm { Type = ConditionType.Regex, Pattern = r.Pattern },
        TokenLengthCondition t => new ConditionForm { Type = ConditionType.Tokens, Min = t.Min, Max = t.Max },
        MetadataCondition m => new ConditionForm { Type = ConditionType.Metadata, Key = m.Key, Values = string.Join(", ", m.Values) },
        ToolsCondition tools => new ConditionForm { Type = ConditionType.Tools, Present = tools.Present },
        TurnsCondition turns => new ConditionForm { Type = ConditionType.Turns, Min = turns.Min, Max = turns.Max },
        PersonalDataCondition p => new ConditionForm { Type = ConditionType.PersonalData, Kinds = string.Join(", ", p.Kinds) },
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition.GetType().Name, "Unknown condition."),
    };

    public RuleCondition ToCondition() => Type switch
    {
        ConditionType.Keywords => new KeywordCondition(Match, Split(Keywords)),
        ConditionType.Regex => new RegexCondition(Pattern),
        ConditionType.Tokens => new TokenLengthCondition(Min, Max),
        ConditionType.Metadata => new MetadataCondition(Key.Trim(), Split(Values)),
        ConditionType.Tools => new ToolsCondition(Present),
        ConditionType.PersonalData => new PersonalDataCondition(Split(Kinds)),
        _ => new TurnsCondition(Min is { } min ? (int)min : null, Max is { } max ? (int)max : null),
    };

    public static IReadOnlyList<string> Split(string text) =>
        [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}

/// <summary>Where a new rule goes in the first-match list.</summary>
public enum RulePlacement
{
    /// <summary>First: nothing can catch its requests before it does.</summary>
    Top,
    Before,
    After,
    End,
}

/// <summary>One rule as the editor's dialog edits it.</summary>
public sealed class RuleForm
{
    public string Name { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>Moves a conversation even while conversation affinity would keep it on the model whose cache is warm.</summary>
    public bool Hard { get; set; }

    /// <summary>True: pin a model; false: send to a tier.</summary>
    public bool PinModel { get; set; }

    public string Tier { get; set; } = "";

    public string Model { get; set; } = "";

    public List<ConditionForm> Conditions { get; set; } = [];

    /// <summary>Prompts the rule is meant for, one per line.</summary>
    public string Examples { get; set; } = "";

    /// <summary>Where a new rule goes; an edited rule keeps its place.</summary>
    public RulePlacement Placement { get; set; } = RulePlacement.Top;

    /// <summary>The rule a new one goes before or after.</summary>
    public string? Anchor { get; set; }

    /// <summary>The index in <paramref name="rules"/> the new rule takes.</summary>
    public int InsertAt(IReadOnlyList<RuleDefinition> rules)
    {
        var anchor = rules.Select((r, i) => (r, i)).FirstOrDefault(x => string.Equals(x.r.Name, Anchor, StringComparison.OrdinalIgnoreCase), (null!, -1)).Item2;
        return Placement switch
        {
            RulePlacement.Before when anchor >= 0 => anchor,
            RulePlacement.After when anchor >= 0 => anchor + 1,
            RulePlacement.End => rules.Count,
            _ => 0,
        };
    }

    public static RuleForm From(RuleDefinition rule) => new()
    {
        Name = rule.Name,
        Enabled = rule.Enabled,
        Hard = rule.Hard,
        PinModel = rule.Action.Model is { Length: > 0 },
        Tier = rule.Action.Tier ?? "",
        Model = rule.Action.Model ?? "",
        Conditions = [.. rule.Conditions.Select(ConditionForm.From)],
        Examples = string.Join('\n', rule.Examples),
    };

    public RuleDefinition ToDefinition() => new()
    {
        Name = Name.Trim(),
        Enabled = Enabled,
        Hard = Hard,
        Conditions = [.. Conditions.Select(c => c.ToCondition())],
        Action = PinModel ? RuleAction.ToModel(Model) : RuleAction.ToTier(Tier),
        Examples = [.. Examples.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
    };

    public string Summary => RuleText.Summarize(ToDefinition());
}

/// <summary>What a rule is checked against: the other rules' names, the tiers, the models, the regex timeout.</summary>
public sealed record RuleContext(IReadOnlyCollection<string> OtherNames, IReadOnlyCollection<string> Tiers, IReadOnlyCollection<string> Models, TimeSpan RegexTimeout);

public sealed class RuleFormValidator : AbstractValidator<RuleForm>
{
    public RuleFormValidator(RuleContext context)
    {
        RuleFor(r => r.Name)
            .NotEmpty().WithMessage("Give the rule a name, e.g. faq-and-status.")
            .MaximumLength(80).WithMessage("Keep the name under 80 characters.")
            .Must(name => !context.OtherNames.Contains(name.Trim(), StringComparer.OrdinalIgnoreCase)).WithMessage("Another rule already has this name.");
        RuleFor(r => r.Tier)
            .Must(t => context.Tiers.Contains(t, StringComparer.OrdinalIgnoreCase)).WithMessage("Choose a tier.")
            .When(r => !r.PinModel);
        RuleFor(r => r.Model)
            .Must(m => context.Models.Contains(m, StringComparer.Ordinal)).WithMessage("Choose a model from the catalogue.")
            .When(r => r.PinModel);
        RuleFor(r => r.Anchor)
            .Must(a => a is not null && context.OtherNames.Contains(a, StringComparer.OrdinalIgnoreCase)).WithMessage("Choose the rule to insert next to.")
            .When(r => r.Placement is RulePlacement.Before or RulePlacement.After);
        RuleFor(r => r.Conditions)
            .NotEmpty().WithMessage("Add at least one condition: requests no rule catches go to the classifier.");
        RuleForEach(r => r.Conditions).SetValidator(new ConditionFormValidator(context.RegexTimeout));
    }
}

public sealed class ConditionFormValidator : AbstractValidator<ConditionForm>
{
    public ConditionFormValidator(TimeSpan regexTimeout)
    {
        RuleFor(c => c.Keywords)
            .Must(k => ConditionForm.Split(k).Any(w => w.Any(char.IsLetterOrDigit))).WithMessage("Enter at least one keyword or phrase, separated by commas.")
            .When(c => c.Type == ConditionType.Keywords);
        RuleFor(c => c.Pattern)
            .Custom((pattern, ctx) =>
            {
                if (SnapshotCompiler.CheckRegex(pattern, regexTimeout) is { } problem)
                {
                    ctx.AddFailure(problem);
                }
            })
            .When(c => c.Type == ConditionType.Regex);
        RuleFor(c => c.Min)
            .GreaterThanOrEqualTo(0).WithMessage("The minimum cannot be negative.")
            .When(c => c.Type is ConditionType.Tokens or ConditionType.Turns && c.Min is not null);
        RuleFor(c => c.Max)
            .GreaterThanOrEqualTo(c => c.Min ?? 0).WithMessage("The maximum must be at least the minimum.")
            .When(c => c.Type is ConditionType.Tokens or ConditionType.Turns && c.Max is not null);
        RuleFor(c => c)
            .Must(c => c.Min is not null || c.Max is not null).WithMessage("Give a minimum, a maximum or both.")
            .When(c => c.Type is ConditionType.Tokens or ConditionType.Turns);
        RuleFor(c => c.Key)
            .NotEmpty().WithMessage("Enter the metadata key (or \"tags\" for the header's bare tags).")
            .When(c => c.Type == ConditionType.Metadata);
    }
}
