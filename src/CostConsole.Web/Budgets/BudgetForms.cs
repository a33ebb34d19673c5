using System.Globalization;
using CostConsole.Data.Entities;
using FluentValidation;

namespace CostConsole.Web.Budgets;

/// <summary>A budget as FinOps or an admin fills it in.</summary>
public sealed class BudgetForm
{
    public long? Id { get; set; }

    public string Name { get; set; } = "";

    public BudgetScope Scope { get; set; } = BudgetScope.Global;

    /// <summary>Team name, key id, tier or model key; empty for a global budget.</summary>
    public string? ScopeValue { get; set; }

    public BudgetPeriod Period { get; set; } = BudgetPeriod.Monthly;

    public decimal? LimitUsd { get; set; }

    /// <summary>Alert thresholds in percent, comma-separated.</summary>
    public string Thresholds { get; set; } = "50,80,100";

    public string? WebhookUrl { get; set; }

    /// <summary>Reserve every request's worst case: a hard ceiling that refuses early.</summary>
    public bool Strict { get; set; }

    public bool Enabled { get; set; } = true;

    public static BudgetForm From(BudgetEntity b) => new()
    {
        Id = b.Id,
        Name = b.Name,
        Scope = b.Scope,
        ScopeValue = b.ScopeValue,
        Period = b.Period,
        LimitUsd = b.LimitNanoUsd / 1_000_000_000m,
        Thresholds = b.AlertThresholds,
        WebhookUrl = b.WebhookUrl,
        Strict = b.Strict,
        Enabled = b.Enabled,
    };
}

public sealed class BudgetFormValidator : AbstractValidator<BudgetForm>
{
    public BudgetFormValidator()
    {
        RuleFor(b => b.Name)
            .NotEmpty().WithMessage("Give the budget a name, e.g. 'Support team, monthly'.")
            .MaximumLength(80).WithMessage("Keep the name under 80 characters.");
        RuleFor(b => b.ScopeValue)
            .NotEmpty().WithMessage(b => $"Choose the {b.Scope.ToString().ToLowerInvariant()} this budget covers.")
            .When(b => b.Scope != BudgetScope.Global);
        RuleFor(b => b.LimitUsd)
            .NotNull().WithMessage("Enter the limit in USD.")
            .GreaterThan(0).WithMessage("The limit must be more than $0.")
            .LessThanOrEqualTo(100_000_000).WithMessage("A limit above $100,000,000 is not plausible.");
        RuleFor(b => b.Thresholds)
            .Must(t => ParseThresholds(t) is not null).WithMessage("Alert thresholds are whole percentages from 1 to 100, comma-separated, e.g. 50,80,100.");
        RuleFor(b => b.WebhookUrl)
            .Must(u => Uri.TryCreate(u, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            .WithMessage("Enter an absolute http(s) URL for the webhook, or leave it empty.")
            .When(b => !string.IsNullOrWhiteSpace(b.WebhookUrl));
    }

    /// <summary>The thresholds sorted and without repeats, or null when any is not a whole percentage from 1 to 100.</summary>
    public static IReadOnlyList<int>? ParseThresholds(string? text)
    {
        var parts = (text ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var values = new SortedSet<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part.TrimEnd('%').Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value is < 1 or > 100)
            {
                return null;
            }

            values.Add(value);
        }

        return [.. values];
    }
}
