using System.Globalization;
using CostConsole.Routing.Caching;
using FluentValidation;

namespace CostConsole.Web.Caching;

/// <summary>One cache policy as the console edits it: the default policy (no rule) or the policy of one rule.</summary>
public sealed class CachePolicyForm
{
    /// <summary>The rule the policy is for; null for the default policy.</summary>
    public string? Rule { get; set; }

    public bool Enabled { get; set; } = true;

    public bool Semantic { get; set; } = true;

    public double Threshold { get; set; } = 0.9;

    public double TimeToLiveHours { get; set; } = 24;

    public int MaxTurns { get; set; } = 1;

    public double MaxTemperature { get; set; } = 1.0;

    /// <summary>The tiers whose answers may be served; none means every tier.</summary>
    public IReadOnlyCollection<string> Tiers { get; set; } = [];

    public CacheScope Scope { get; set; } = CacheScope.Key;

    public static CachePolicyForm From(string? rule, CachePolicy policy) => new()
    {
        Rule = rule,
        Enabled = policy.Enabled,
        Semantic = policy.Semantic,
        Threshold = policy.Threshold,
        TimeToLiveHours = Math.Round(policy.TimeToLive.TotalHours, 4),
        MaxTurns = policy.MaxTurns,
        MaxTemperature = policy.MaxTemperature,
        Tiers = [.. policy.Tiers],
        Scope = policy.Scope,
    };

    public CachePolicy ToPolicy() => new()
    {
        Enabled = Enabled,
        Semantic = Semantic,
        Threshold = Threshold,
        TimeToLive = TimeSpan.FromMinutes(Math.Round(TimeToLiveHours * 60)),
        MaxTurns = MaxTurns,
        MaxTemperature = MaxTemperature,
        Tiers = [.. Tiers.Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)],
        Scope = Scope,
    };
}

/// <summary>What a policy is checked against: the routing's tiers and the rules a policy may be given to.</summary>
public sealed record CachePolicyContext(IReadOnlyList<string> Tiers, IReadOnlyCollection<string> Rules);

public sealed class CachePolicyFormValidator : AbstractValidator<CachePolicyForm>
{
    public const double MaxTimeToLiveHours = 24 * 365;

    public CachePolicyFormValidator(CachePolicyContext context)
    {
        RuleFor(f => f.Rule)
            .Must(r => r is null || context.Rules.Contains(r, StringComparer.Ordinal))
            .WithMessage(f => $"There is no rule named '{f.Rule}' in the published rule set; choose one of its rules or edit the default policy.");
        RuleFor(f => f.Threshold)
            .Must(t => t is > 0 and <= 1).WithMessage(f => $"The similarity threshold must be above 0 and at most 1, e.g. 0.9 (it is {Number(f.Threshold)}).");
        RuleFor(f => f.TimeToLiveHours)
            .Must(h => h >= 1.0 / 60 && h <= MaxTimeToLiveHours).WithMessage(f => $"Keep answers for at least a minute (0.0167 h) and at most a year ({MaxTimeToLiveHours:0} h); it is {Number(f.TimeToLiveHours)} h.");
        RuleFor(f => f.MaxTurns)
            .InclusiveBetween(1, 100).WithMessage(f => $"The longest conversation cached must be 1 to 100 user turns (it is {f.MaxTurns}).");
        RuleFor(f => f.MaxTemperature)
            .Must(t => t is >= 0 and <= 2).WithMessage(f => $"The highest temperature cached must be between 0 and 2 (it is {Number(f.MaxTemperature)}).");
        RuleFor(f => f.Scope).IsInEnum().WithMessage("Choose whose answers may be shared: per key, per team or everybody.");
        RuleFor(f => f.Tiers)
            .Must(tiers => tiers.All(t => context.Tiers.Contains(t, StringComparer.OrdinalIgnoreCase)))
            .WithMessage(f => $"Unknown tier '{f.Tiers.First(t => !context.Tiers.Contains(t, StringComparer.OrdinalIgnoreCase))}'; the tiers are {string.Join(", ", context.Tiers)}.");
    }

    private static string Number(double value) => value.ToString("0.####", CultureInfo.InvariantCulture);
}

/// <summary>A cache policy in words, as the console shows it.</summary>
public static class CachePolicyText
{
    public static string Describe(CachePolicy policy) => !policy.Enabled
        ? "off"
        : string.Create(
            CultureInfo.InvariantCulture,
            $"{(policy.Semantic ? $"exact and semantic (similarity ≥ {policy.Threshold:0.###})" : "exact only")}, kept {Duration(policy.TimeToLive)}, namespace per {Scope(policy.Scope)}, up to {policy.MaxTurns} turn(s), temperature ≤ {policy.MaxTemperature:0.##}, tiers {(policy.Tiers.Count == 0 ? "all" : string.Join(", ", policy.Tiers))}.");

    public static string Scope(CacheScope scope) => scope switch
    {
        CacheScope.Key => "key",
        CacheScope.Team => "team",
        _ => "everybody (global)",
    };

    public static string Duration(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays % 1 == 0 ? $"{span.TotalDays:0} day(s)"
        : span.TotalHours >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:0.#} h")
        : $"{span.TotalMinutes:0} min";
}
