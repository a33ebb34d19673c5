using CostConsole.Data;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pricing;
using FluentValidation;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Metrics;

/// <summary>One kind of query in the what-if mix: its share of the volume and its average tokens.</summary>
public sealed class WhatIfClass
{
    public required string Name { get; init; }

    /// <summary>Percent of the monthly volume (the three add up to 100).</summary>
    public double SharePercent { get; set; }

    public long InputTokens { get; set; }

    public long OutputTokens { get; set; }
}

/// <summary>What the analyst enters: a monthly volume and the mix of simple, medium and complex queries.</summary>
public sealed class WhatIfForm
{
    public const long MaxVolume = 1_000_000_000;
    public const long MaxTokens = 2_000_000;

    public long MonthlyVolume { get; set; } = 3_000;

    /// <summary>Simple, medium and complex, in that order; they go to the first, middle and last tier of the mapping.</summary>
    public List<WhatIfClass> Classes { get; set; } =
    [
        new() { Name = "Simple", SharePercent = 30, InputTokens = 1_500, OutputTokens = 800 },
        new() { Name = "Medium", SharePercent = 50, InputTokens = 3_000, OutputTokens = 2_000 },
        new() { Name = "Complex", SharePercent = 20, InputTokens = 5_000, OutputTokens = 4_000 },
    ];

    /// <summary>Percent of input tokens read from the provider's prompt cache (priced at the cached-input price).</summary>
    public double CachedInputPercent { get; set; }

    /// <summary>Percent of the volume sent as batches (priced at the batch price).</summary>
    public double BatchPercent { get; set; }

    /// <summary>The day whose prices apply (UTC); today when empty.</summary>
    public DateTime? PriceDate { get; set; }
}

public sealed class WhatIfFormValidator : AbstractValidator<WhatIfForm>
{
    public WhatIfFormValidator()
    {
        RuleFor(f => f.MonthlyVolume).InclusiveBetween(1, WhatIfForm.MaxVolume).WithMessage($"The monthly volume must be from 1 to {WhatIfForm.MaxVolume:N0}.");
        RuleFor(f => f.Classes).Must(c => c.Count == 3).WithMessage("The mix has three kinds of query: simple, medium and complex.");
        RuleForEach(f => f.Classes).ChildRules(c =>
        {
            c.RuleFor(x => x.SharePercent).InclusiveBetween(0, 100).WithMessage(x => $"{x.Name}: the share must be from 0 to 100 %.");
            c.RuleFor(x => x.InputTokens).InclusiveBetween(0, WhatIfForm.MaxTokens).WithMessage(x => $"{x.Name}: input tokens must be from 0 to {WhatIfForm.MaxTokens:N0}.");
            c.RuleFor(x => x.OutputTokens).InclusiveBetween(0, WhatIfForm.MaxTokens).WithMessage(x => $"{x.Name}: output tokens must be from 0 to {WhatIfForm.MaxTokens:N0}.");
        });
        RuleFor(f => f.Classes).Must(c => Math.Abs(c.Sum(x => x.SharePercent) - 100) < 0.05)
            .WithMessage(f => $"The shares add up to {f.Classes.Sum(x => x.SharePercent):0.#} %; make them add up to 100 %.")
            .When(f => f.Classes.Count == 3 && f.Classes.All(x => x.SharePercent is >= 0 and <= 100));
        RuleFor(f => f.CachedInputPercent).InclusiveBetween(0, 100).WithMessage("The cached share of input must be from 0 to 100 %.");
        RuleFor(f => f.BatchPercent).InclusiveBetween(0, 100).WithMessage("The batch share must be from 0 to 100 %.");
    }
}

/// <summary>One way to serve the month: a single model for everything, the current tier mapping, or an experiment arm.</summary>
public sealed record WhatIfOption(string Name, string Kind, decimal? MonthlyCost, IReadOnlyList<string> Models, string? Unpriced = null)
{
    public const string SingleModel = "Single model";
    public const string Mapping = "Current tier mapping";
    public const string Arm = "Experiment arm";
}

/// <summary>The month under each option; <see cref="MappingCost"/> is what the current mapping costs, the reference for savings.</summary>
public sealed record WhatIfResult(IReadOnlyList<WhatIfOption> Options, decimal? MappingCost, DateTimeOffset PricesAt, IReadOnlyList<string> ClassTiers)
{
    /// <summary>What the current mapping saves against an option (negative when the option is cheaper).</summary>
    public decimal? SavingAgainst(WhatIfOption option) => MappingCost is { } mapping && option.MonthlyCost is { } cost ? cost - mapping : null;
}

/// <summary>
/// The what-if calculator: the monthly cost of a mix of queries sent to each single model of the catalogue against the
/// current tier mapping and each running experiment arm, at the prices of a chosen day. Costs are linear in tokens, so
/// each kind of query is priced once at its total tokens for the month.
/// </summary>
internal sealed class WhatIfCalculator(RoutingState routing, IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time)
{
    /// <summary>Simple, medium and complex go to the first, middle and last tier of the mapping.</summary>
    public static IReadOnlyList<string> ClassTiers(IReadOnlyList<string> tiers) =>
        tiers.Count == 0 ? [] : [tiers[0], tiers[(tiers.Count - 1) / 2], tiers[^1]];

    public WhatIfResult Calculate(WhatIfForm form)
    {
        var snapshot = routing.Current;
        var at = form.PriceDate is { } day
            ? new DateTimeOffset(DateTime.SpecifyKind(day.Date, DateTimeKind.Utc)).AddDays(1).AddTicks(-1)
            : time.GetUtcNow();
        var classTiers = ClassTiers(snapshot.Tiers);
        var options = new List<WhatIfOption>();

        var mappingModels = classTiers.Select(t => snapshot.CandidatesFor(t) is [var first, ..] ? first : null).ToList();
        options.Add(Price(WhatIfOption.Mapping, WhatIfOption.Mapping, mappingModels, form, snapshot.Prices, at));
        foreach (var (experiment, arm, firstModels) in snapshot.ExperimentArms)
        {
            var models = classTiers.Select(t => snapshot.Tiers.ToList().IndexOf(t) is var i and >= 0 && i < firstModels.Count ? firstModels[i] : null).ToList();
            options.Add(Price($"{experiment} › {arm}", WhatIfOption.Arm, models, form, snapshot.Prices, at));
        }

        foreach (var model in snapshot.Models.GroupBy(m => m.Key, StringComparer.Ordinal).Select(g => g.First()).OrderBy(m => m.TierIndex).ThenBy(m => m.Key, StringComparer.Ordinal))
        {
            options.Add(Price(model.Key, WhatIfOption.SingleModel, [model, model, model], form, snapshot.Prices, at));
        }

        return new WhatIfResult(options, options[0].MonthlyCost, at, classTiers);
    }

    /// <summary>
    /// The mix as the ledger saw it over <paramref name="range"/>: requests per tier (first, middle and last tier as simple,
    /// medium and complex), their average tokens, the cached share of input and the batch share, scaled to 30 days.
    /// Null when the range has no answered request.
    /// </summary>
    public async Task<WhatIfForm?> FromLedgerAsync(MetricsRange range, CancellationToken cancellationToken)
    {
        var classTiers = ClassTiers(routing.Current.Tiers);
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var byTier = await db.RequestLog.AsNoTracking()
            .Where(r => r.Timestamp >= range.From && r.Timestamp < range.To && r.Tier != null && r.Model != null)
            .GroupBy(r => new { r.Tier, Batch = r.BatchId != null })
            .Select(g => new { g.Key.Tier, g.Key.Batch, Requests = g.Count(), Prompt = g.Sum(r => r.PromptTokens), Cached = g.Sum(r => r.CachedTokens), Completion = g.Sum(r => r.CompletionTokens) })
            .ToListAsync(cancellationToken);
        if (byTier.Count == 0 || classTiers.Count == 0)
        {
            return null;
        }

        // A tier that is neither first nor last counts as medium; with two tiers, medium is empty.
        string ClassOf(string tier) => tier == classTiers[0] ? "Simple" : tier == classTiers[2] ? "Complex" : "Medium";
        var total = byTier.Sum(t => t.Requests);
        var form = new WhatIfForm
        {
            MonthlyVolume = Math.Max(1, (long)Math.Round(total * (30.0 / range.Length.TotalDays))),
            CachedInputPercent = Percent(byTier.Sum(t => t.Cached), byTier.Sum(t => t.Prompt)),
            BatchPercent = Percent(byTier.Where(t => t.Batch).Sum(t => t.Requests), total),
        };
        foreach (var kind in form.Classes)
        {
            var rows = byTier.Where(t => ClassOf(t.Tier!) == kind.Name).ToList();
            var requests = rows.Sum(t => t.Requests);
            kind.SharePercent = Math.Round(100.0 * requests / total, 1);
            kind.InputTokens = requests == 0 ? 0 : (long)Math.Round((double)rows.Sum(t => t.Prompt) / requests);
            kind.OutputTokens = requests == 0 ? 0 : (long)Math.Round((double)rows.Sum(t => t.Completion) / requests);
        }

        // Rounded shares may miss 100 by a tenth: the largest absorbs it.
        var largest = form.Classes.MaxBy(c => c.SharePercent)!;
        largest.SharePercent = Math.Round(largest.SharePercent + (100 - form.Classes.Sum(c => c.SharePercent)), 1);
        return form;
    }

    private static double Percent(long part, long whole) => whole == 0 ? 0 : Math.Round(100.0 * part / whole, 1);

    private static WhatIfOption Price(string name, string kind, IReadOnlyList<RoutedModel?> modelPerClass, WhatIfForm form, PriceBook prices, DateTimeOffset at)
    {
        decimal total = 0;
        var unpriced = new List<string>();
        for (var i = 0; i < form.Classes.Count; i++)
        {
            var kindOfQuery = form.Classes[i];
            var requests = form.MonthlyVolume * kindOfQuery.SharePercent / 100.0;
            if (requests <= 0)
            {
                continue;
            }

            if (modelPerClass[i] is not { } model)
            {
                unpriced.Add($"{kindOfQuery.Name.ToLowerInvariant()} queries have no model");
                continue;
            }

            var input = (long)Math.Round(requests * kindOfQuery.InputTokens);
            var cached = (long)Math.Round(input * form.CachedInputPercent / 100.0);
            var usage = new TokenUsage(input, cached, (long)Math.Round(requests * kindOfQuery.OutputTokens));
            var batchShare = (decimal)(form.BatchPercent / 100.0);
            var interactive = CostCalculator.Cost(prices, model.Key, at, usage);
            var batch = CostCalculator.Cost(prices, model.Key, at, usage, batch: true);
            if (interactive is null || batch is null)
            {
                unpriced.Add($"{model.Key} has no price on {at:yyyy-MM-dd}");
                continue;
            }

            total += (1 - batchShare) * interactive.Value + batchShare * batch.Value;
        }

        var models = modelPerClass.Select(m => m?.Key ?? "—").ToList();
        return unpriced.Count == 0
            ? new WhatIfOption(name, kind, total, models)
            : new WhatIfOption(name, kind, null, models, string.Join("; ", unpriced.Distinct()));
    }
}
