using CostConsole.Routing.Experiments;
using FluentValidation;

namespace CostConsole.Web.Experiments;

/// <summary>One arm as edited: its name, its share of traffic and, per tier, the models in fallback order.</summary>
public sealed class ArmForm
{
    public string Name { get; set; } = "";

    public int Weight { get; set; }

    public Dictionary<string, List<string>> Tiers { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public ArmForm Copy(string name, int weight) => new()
    {
        Name = name,
        Weight = weight,
        Tiers = Tiers.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.OrdinalIgnoreCase),
    };
}

/// <summary>An experiment as edited in the console: the first arm is the control.</summary>
public sealed class ExperimentForm
{
    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public AssignmentUnitKind Unit { get; set; } = AssignmentUnitKind.Conversation;

    public List<ArmForm> Arms { get; set; } = [];

    public IReadOnlyCollection<long> ScopeKeys { get; set; } = [];

    public IReadOnlyCollection<string> ScopeTeams { get; set; } = [];

    public IReadOnlyCollection<string> ScopeTiers { get; set; } = [];

    public IReadOnlyCollection<string> ScopeRules { get; set; } = [];

    /// <summary>The resolution rate expected of the control, in percent.</summary>
    public double BaselineResolutionPercent { get; set; } = 80;

    /// <summary>The smallest change in resolution rate worth detecting, in percentage points.</summary>
    public double MinimumEffectPoints { get; set; } = 10;

    public ExperimentScope Scope => new()
    {
        ApiKeyIds = [.. ScopeKeys.Order()],
        Teams = [.. ScopeTeams.Order(StringComparer.OrdinalIgnoreCase)],
        Tiers = [.. ScopeTiers],
        Rules = [.. ScopeRules.Order(StringComparer.OrdinalIgnoreCase)],
    };

    public int SplitTotal => Arms.Sum(a => a.Weight);
}

/// <summary>What an experiment is checked against: the tiers, the catalogue's routable models and the other experiments' names.</summary>
public sealed record ExperimentContext(IReadOnlyList<string> Tiers, IReadOnlyCollection<string> Models, IReadOnlyCollection<string> OtherNames);

public sealed class ExperimentFormValidator : AbstractValidator<ExperimentForm>
{
    public ExperimentFormValidator(ExperimentContext context)
    {
        RuleFor(f => f.Name)
            .NotEmpty().WithMessage("Give the experiment a name, e.g. small tier on nano vs mini.")
            .MaximumLength(80).WithMessage("Keep the name under 80 characters.")
            .Must(n => !context.OtherNames.Contains(n.Trim(), StringComparer.OrdinalIgnoreCase)).WithMessage("Another experiment already has this name.");
        RuleFor(f => f.Description).MaximumLength(500).WithMessage("Keep the description under 500 characters.");
        RuleFor(f => f.Unit).IsInEnum().WithMessage("Choose what keeps a caller in one arm.");
        RuleFor(f => f.Arms)
            .Must(a => a.Count is >= 2 and <= ExperimentRules.MaxArms).WithMessage($"An experiment needs a control and one to {ExperimentRules.MaxArms - 1} variants.");
        RuleFor(f => f.SplitTotal)
            .Equal(100).WithMessage(f => $"The traffic split must add up to 100%; it adds up to {f.SplitTotal}%.")
            .When(f => f.Arms.Count >= 2);
        RuleFor(f => f.Arms)
            .Must(a => a.Select(x => x.Name.Trim()).Distinct(StringComparer.OrdinalIgnoreCase).Count() == a.Count).WithMessage("Every arm needs its own name.")
            .When(f => f.Arms.All(a => !string.IsNullOrWhiteSpace(a.Name)));
        RuleFor(f => f.Arms)
            .Must(a => a.Skip(1).All(v => !SameMapping(v, a[0]))).WithMessage(f => $"Arm '{f.Arms.Skip(1).First(v => SameMapping(v, f.Arms[0])).Name}' routes exactly like the control; change the models of at least one tier.")
            .When(f => f.Arms.Count >= 2);
        RuleFor(f => f.Arms)
            .Must(a => SameVariants(a) is null).WithMessage(f => $"Arms '{SameVariants(f.Arms)!.Value.A}' and '{SameVariants(f.Arms)!.Value.B}' route exactly alike; give each variant its own models.")
            .When(f => f.Arms.Count >= 3 && f.Arms.Skip(1).All(v => !SameMapping(v, f.Arms[0])));
        RuleForEach(f => f.Arms).ChildRules(arm =>
        {
            arm.RuleFor(a => a.Name)
                .NotEmpty().WithMessage("Name the arm, e.g. control or nano.")
                .MaximumLength(40).WithMessage("Keep arm names under 40 characters.");
            arm.RuleFor(a => a.Weight).InclusiveBetween(1, 99).WithMessage("Each arm needs between 1% and 99% of the traffic.");
            arm.RuleFor(a => a.Tiers).Custom((tiers, ctx) =>
            {
                foreach (var tier in context.Tiers)
                {
                    var models = tiers.GetValueOrDefault(tier) ?? [];
                    if (models.Count == 0)
                    {
                        ctx.AddFailure($"Choose at least one model for tier {tier}.");
                    }

                    foreach (var model in models.Where(m => !context.Models.Contains(m)))
                    {
                        ctx.AddFailure($"Tier {tier}: '{model}' is not an enabled catalogue model.");
                    }
                }
            });
        });
        RuleFor(f => f.ScopeTiers)
            .Must(t => t.All(x => context.Tiers.Contains(x, StringComparer.OrdinalIgnoreCase))).WithMessage("Choose tiers that exist.");
        RuleFor(f => f.BaselineResolutionPercent)
            .InclusiveBetween(1, 99).WithMessage("The expected resolution rate must be between 1% and 99%.");
        RuleFor(f => f.MinimumEffectPoints)
            .InclusiveBetween(0.5, 50).WithMessage("The smallest difference worth detecting must be between 0.5 and 50 percentage points.")
            .Must((f, e) => f.BaselineResolutionPercent - e > 0).WithMessage("The expected rate minus the difference must stay above 0%.");
    }

    /// <summary>The first two variants with the same mapping, if any.</summary>
    private static (string A, string B)? SameVariants(List<ArmForm> arms)
    {
        for (var i = 1; i < arms.Count; i++)
        {
            for (var j = i + 1; j < arms.Count; j++)
            {
                if (SameMapping(arms[i], arms[j]))
                {
                    return (arms[i].Name, arms[j].Name);
                }
            }
        }

        return null;
    }

    private static bool SameMapping(ArmForm a, ArmForm b) =>
        a.Tiers.Where(kv => kv.Value.Count > 0).Count() == b.Tiers.Where(kv => kv.Value.Count > 0).Count()
        && a.Tiers.Where(kv => kv.Value.Count > 0).All(kv => b.Tiers.TryGetValue(kv.Key, out var other) && other.SequenceEqual(kv.Value, StringComparer.Ordinal));
}
