using System.Globalization;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using CostConsole.Web.Access;
using CostConsole.Web.Components.Charts;
using CostConsole.Web.Components.Dashboard;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Routing;

/// <summary>
/// The shadow comparison: the trained model in shadow (or the last one) against the published router on the same live
/// requests, read from the ledger. It reloads itself whenever a new routing snapshot is published (a shadow started or
/// stopped here, on another instance, or by the API).
/// </summary>
public sealed partial class ShadowPanel : IDisposable
{
    private ShadowView? _shadow;
    private DateTimeOffset? _stoppedAt;
    private bool _running;
    private ShadowComparison? _comparison;
    private bool _loaded;
    private bool _busy;
    private bool _canEdit;
    private string? _error;
    private ApexChart? _chart;

    [Inject]
    private RouterShadowService Shadows { get; set; } = null!;

    [Inject]
    private ShadowComparer Comparer { get; set; } = null!;

    [Inject]
    private RoutingState Routing { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    private ChartOptions ChartOptions => new()
    {
        Type = ChartType.Bar,
        Format = ChartFormat.Count,
        Height = 220,
        Categories = [.. Routing.Current.Tiers],
        NoData = "No request compared yet",
        XTitle = "requests",
    };

    protected override async Task OnInitializedAsync()
    {
        _canEdit = await Access.CanAsync(Policies.ManageRouting);
        Routing.Published += OnPublished;
        await LoadAsync();
    }

    public async Task LoadAsync()
    {
        _busy = true;
        try
        {
            var charted = _comparison is { Compared: > 0 };
            var latest = await Shadows.LatestAsync();
            _shadow = latest?.View;
            _stoppedAt = latest?.StoppedAt;
            _running = latest is { StoppedAt: null };
            _comparison = latest is { } l ? await Comparer.CompareAsync(l.View.Model, l.View.StartedAt, l.StoppedAt) : null;
            _loaded = true;
            if (charted && _chart is not null && _comparison is { Compared: > 0 } comparison)
            {
                await _chart.UpdateSeriesAsync(Series(comparison));
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task StopAsync()
    {
        _busy = true;
        _error = null;
        try
        {
            await Shadows.StopAsync(await Access.ActorAsync(Policies.ManageRouting));
        }
        catch (InvalidOperationException ex)
        {
            _error = ex.Message;
        }
        finally
        {
            _busy = false;
        }

        await LoadAsync();
    }

    private void OnPublished(RoutingSnapshot snapshot) => _ = InvokeAsync(async () =>
    {
        await LoadAsync();
        StateHasChanged();
    });

    private static IReadOnlyList<ChartSeries> Series(ShadowComparison comparison) =>
    [
        new("Published router", [.. comparison.Mix.Select((m, i) => new ChartPoint(i, m.Published))]),
        new("Shadow", [.. comparison.Mix.Select((m, i) => new ChartPoint(i, m.Shadow))]),
    ];

    private static string OperatingPoint(ShadowView shadow) => shadow.Policy == TrainedPolicy.QualityTarget
        ? "cheapest tier reaching quality target " + shadow.QualityTarget.ToString("0.00#", CultureInfo.InvariantCulture)
        : "best P(acceptable) − " + shadow.Lambda.ToString("0.###", CultureInfo.InvariantCulture) + " × cost";

    private static string CostChange(ShadowComparison c) =>
        Figures.RelativeChange(c.ShadowProjectedCost, c.PublishedProjectedCost) is { } change ? $" (shadow {Figures.Signed(change * 100, " %")})" : "";

    public void Dispose() => Routing.Published -= OnPublished;
}
