using CostConsole.Web.Components.Charts;
using CostConsole.Web.Components.Dashboard;
using CostConsole.Web.Metrics;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using ChartOptions = CostConsole.Web.Components.Charts.ChartOptions;
using ChartType = CostConsole.Web.Components.Charts.ChartType;

namespace CostConsole.Web.Components.Pages;

/// <summary>
/// The what-if calculator: a month's mix of simple, medium and complex queries priced on every single model, on the
/// current tier mapping and on each running experiment arm, entered by hand or taken from the ledger.
/// </summary>
public sealed partial class WhatIf
{
    private static readonly WhatIfFormValidator Validator = new();

    private MudForm? _form;
    private WhatIfForm _model = new();
    private WhatIfResult? _result;
    private List<string> _errors = [];
    private string? _ledgerNote;
    private int _version;

    [Inject]
    private WhatIfCalculator Calculator { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    [Inject]
    private CostConsole.Routing.Decisions.RoutingState Routing { get; set; } = null!;

    private string TierOf(WhatIfClass kind)
    {
        var tiers = WhatIfCalculator.ClassTiers(Routing.Current.Tiers);
        var index = _model.Classes.IndexOf(kind);
        return index >= 0 && index < tiers.Count ? $"to the {tiers[index]} tier" : "";
    }

    private Task CalculateAsync()
    {
        var validation = Validator.Validate(_model);
        _errors = [.. validation.Errors.Select(e => e.ErrorMessage).Distinct()];
        if (_errors.Count > 0)
        {
            // A mix that does not add up shows why and keeps the last result as it was.
            return Task.CompletedTask;
        }

        _result = Calculator.Calculate(_model);
        _version++;
        return Task.CompletedTask;
    }

    private async Task FromLedgerAsync(RangeKind kind)
    {
        var range = MetricsRange.Create(kind, Time.GetUtcNow());
        var mix = await Calculator.FromLedgerAsync(range, CancellationToken.None);
        if (mix is null)
        {
            _ledgerNote = $"No answered request in the {MetricsRange.Name(kind)} before now: the mix is unchanged. Send traffic through /v1, or enter the mix by hand.";
            return;
        }

        mix.PriceDate = _model.PriceDate;
        _model = mix;
        _ledgerNote = $"Taken from the ledger's {range.Describe()}: requests per tier scaled to 30 days, their average tokens, the cached share of input and the batch share.";
        await CalculateAsync();
    }

    private Task ResetAsync()
    {
        _model = new WhatIfForm();
        _ledgerNote = null;
        _errors = [];
        return CalculateAsync();
    }

    private static WhatIfOption? Largest(WhatIfResult result) =>
        result.Options.Where(o => o.Kind == WhatIfOption.SingleModel && o.MonthlyCost is not null).MaxBy(o => o.MonthlyCost);

    private static string Saving(WhatIfResult result, WhatIfOption option)
    {
        if (option.Kind == WhatIfOption.Mapping)
        {
            return "—";
        }

        if (result.SavingAgainst(option) is not { } saved || option.MonthlyCost is not { } cost)
        {
            return "—";
        }

        // Positive: the mapping is cheaper than sending everything to this option.
        return saved >= 0
            ? $"mapping saves {Figures.Usd(saved)}" + (cost == 0 ? "" : $" ({Figures.Percent((double)(saved / cost))})")
            : $"{Figures.Usd(-saved)} cheaper than the mapping";
    }

    private static ChartOptions ChartOptionsFor(WhatIfResult result) => new()
    {
        Type = ChartType.Bar,
        Format = ChartFormat.Usd,
        Height = Math.Max(200, 44 * result.Options.Count + 60),
        Categories = [.. result.Options.Select(o => o.Name)],
        Colors = ["#2f5d8a"],
        XTitle = "USD per month",
        NoData = "Nothing priced",
    };

    private static IReadOnlyList<ChartSeries> ChartSeriesFor(WhatIfResult result) =>
        [new ChartSeries("Monthly cost", [.. result.Options.Select((o, i) => new ChartPoint(i, o.MonthlyCost is { } c ? (double)c : null))])];

    protected override Task OnInitializedAsync() => CalculateAsync();
}
