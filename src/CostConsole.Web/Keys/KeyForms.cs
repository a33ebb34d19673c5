using CostConsole.Data.Keys;
using FluentValidation;

namespace CostConsole.Web.Keys;

/// <summary>A new virtual API key as the admin fills it in.</summary>
public sealed class KeyForm
{
    public string Name { get; set; } = "";

    public string? Team { get; set; }

    public IReadOnlyCollection<string> AllowedTiers { get; set; } = [];

    public IReadOnlyCollection<string> AllowedModels { get; set; } = [];

    public int? RequestsPerMinute { get; set; }

    public long? TokensPerMinute { get; set; }

    /// <summary>Optional: a monthly budget for the key, created with it.</summary>
    public decimal? MonthlyBudgetUsd { get; set; }

    /// <summary>May call <c>/v1</c> and <c>/api/route/explain</c>. New keys may.</summary>
    public bool Inference { get; set; } = true;

    /// <summary>May read spend (the metrics and catalogue exports): its own team's, unless <see cref="OrganisationWide"/>.</summary>
    public bool Reporting { get; set; }

    /// <summary>With <see cref="Reporting"/>: reads the whole organisation's spend, the live metrics stream and experiment exports.</summary>
    public bool OrganisationWide { get; set; }

    /// <summary>How the key's prompts are stored: <c>default</c> (the global setting), <c>none</c>, <c>redacted</c> or <c>full</c>.</summary>
    public string PromptStorage { get; set; } = DefaultPromptStorage;

    public const string DefaultPromptStorage = "default";

    public KeyScopes Scopes =>
        (Inference ? KeyScopes.Inference : KeyScopes.None) | (Reporting ? KeyScopes.Reporting : KeyScopes.None) | (Reporting && OrganisationWide ? KeyScopes.Organisation : KeyScopes.None);

    public void SetScopes(KeyScopes scopes)
    {
        Inference = scopes.HasFlag(KeyScopes.Inference);
        Reporting = scopes.HasFlag(KeyScopes.Reporting);
        OrganisationWide = scopes.HasFlag(KeyScopes.Organisation);
    }
}

public sealed class KeyFormValidator : AbstractValidator<KeyForm>
{
    public KeyFormValidator()
    {
        RuleFor(k => k.Name)
            .NotEmpty().WithMessage("Give the key a name, e.g. the app that will use it.")
            .MaximumLength(80).WithMessage("Keep the name under 80 characters.");
        RuleFor(k => k.Team)
            .NotEmpty().WithMessage("Name the team the key's spend is attributed to.")
            .MaximumLength(80).WithMessage("Keep the team under 80 characters.")
            .Must(t => t is null || !t.Contains(',')).WithMessage("A team name cannot contain a comma.")
            .Must(t => !string.Equals(t?.Trim(), CostConsole.Web.Metrics.MetricsFilter.NoTeam, StringComparison.OrdinalIgnoreCase))
            .WithMessage($"'{CostConsole.Web.Metrics.MetricsFilter.NoTeam}' is how the filters name requests without a team: choose another team name.");
        RuleFor(k => k.RequestsPerMinute)
            .InclusiveBetween(1, 1_000_000).WithMessage("Requests per minute must be between 1 and 1,000,000 (leave empty for no limit).")
            .When(k => k.RequestsPerMinute is not null);
        RuleFor(k => k.TokensPerMinute)
            .InclusiveBetween(1, 1_000_000_000).WithMessage("Tokens per minute must be between 1 and 1,000,000,000 (leave empty for no limit).")
            .When(k => k.TokensPerMinute is not null);
        RuleFor(k => k.Inference)
            .Must((k, inference) => inference || k.Reporting).WithMessage("Give the key at least one scope: inference to call /v1, or reporting to read spend.");
        RuleFor(k => k.PromptStorage)
            .Must(p => p == KeyForm.DefaultPromptStorage || CostConsole.Routing.Privacy.PromptStorageNames.Parse(p) is not null)
            .WithMessage("Prompt storage is one of: default, none, redacted, full.");
        RuleFor(k => k.OrganisationWide)
            .Must((k, wide) => !wide || k.Reporting).WithMessage("Organisation-wide reading needs the reporting scope.");
        RuleFor(k => k.MonthlyBudgetUsd)
            .GreaterThan(0).WithMessage("A budget must be more than $0 (leave empty for none).")
            .LessThanOrEqualTo(10_000_000).WithMessage("A budget above $10,000,000 a month is not plausible.")
            .When(k => k.MonthlyBudgetUsd is not null);
    }
}

/// <summary>A key as the keys page lists it. The secret is not here: it is shown once, when the key is created.</summary>
public sealed record KeyView(
    long Id,
    string Name,
    string? Team,
    string Prefix,
    IReadOnlyList<string> AllowedTiers,
    IReadOnlyList<string> AllowedModels,
    int? RequestsPerMinute,
    long? TokensPerMinute,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt,
    KeyScopes Scopes = KeyScopes.Inference,
    string? PromptStorage = null,
    decimal SpendThisMonth = 0)
{
    public bool Active => RevokedAt is null;
}

/// <summary>A created key, with its secret: the only time the secret exists outside the client.</summary>
public sealed record CreatedKey(long Id, string Name, string Secret);

/// <summary>The outcome of a change: done, or refused with messages per field.</summary>
public sealed record ChangeResult(bool Saved, IReadOnlyDictionary<string, string[]> Errors, long? Id = null)
{
    public static ChangeResult Ok(long id) => new(true, new Dictionary<string, string[]>(), id);

    public static ChangeResult Invalid(string field, string message) => new(false, new Dictionary<string, string[]> { [field] = [message] });

    public static ChangeResult Invalid(FluentValidation.Results.ValidationResult result) =>
        new(false, result.Errors.GroupBy(e => e.PropertyName).ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray()));

    public string Summary => string.Join(" ", Errors.SelectMany(e => e.Value));
}
