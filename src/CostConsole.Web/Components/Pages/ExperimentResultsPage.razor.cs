using CostConsole.Web.Access;
using CostConsole.Data.Entities;
using CostConsole.Web.Components.Charts;
using CostConsole.Web.Components.Dashboard;
using CostConsole.Web.Experiments;
using Microsoft.AspNetCore.Components;
using MudBlazor;
using ChartOptions = CostConsole.Web.Components.Charts.ChartOptions;
using ChartType = CostConsole.Web.Components.Charts.ChartType;

namespace CostConsole.Web.Components.Pages;

/// <summary>An experiment's results: per-arm figures, the verdict once the sample size is reached, charts over time; refreshed while it runs.</summary>
public sealed partial class ExperimentResultsPage
{
    private static readonly TimeSpan RefreshEvery = TimeSpan.FromSeconds(5);
    private static readonly ChartOptions CostOptions = new() { Type = ChartType.Line, Format = ChartFormat.Usd, Height = 220, NoData = "No requests yet" };
    private static readonly ChartOptions ResolutionOptions = new() { Type = ChartType.Line, Format = ChartFormat.Percent, Height = 220, NoData = "No feedback yet" };
    private static readonly ChartOptions RequestsOptions = new() { Type = ChartType.Area, Format = ChartFormat.Count, Height = 220, NoData = "No requests yet" };

    private ExperimentView? _experiment;
    private ExperimentResults? _results;
    private CostConsole.Web.Routing.RuleSetVersionView? _routingDraft;
    private string? _rolledOut;
    private string? _rolloutError;
    private bool _missing;
    private bool _busy;
    private Timer? _timer;
    private int _refreshing;
    private DateTimeOffset _nextRefresh;
    private List<BreadcrumbItem> _crumbs = [];
    private ApexChart? _costChart;
    private ApexChart? _resolutionChart;
    private ApexChart? _requestsChart;
    private IReadOnlyList<ChartSeries> _costSeries = [];
    private IReadOnlyList<ChartSeries> _resolutionSeries = [];
    private IReadOnlyList<ChartSeries> _requestsSeries = [];

    [Parameter]
    public long Id { get; set; }

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private ExperimentService Service { get; set; } = null!;

    [Inject]
    private CostConsole.Web.Routing.RuleSetService RuleSets { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    private string BucketText => _results is null ? "" : _results.Bucket.TotalMinutes >= 1 ? $"{_results.Bucket.TotalMinutes:0} min" : $"{_results.Bucket.TotalSeconds:0} s";

    /// <summary>Support leads and admins run experiments; FinOps reads their results.</summary>
    private bool _canRun;

    protected override async Task OnParametersSetAsync()
    {
        _canRun = await Access.CanAsync(Policies.RunExperiments);
        await LoadAsync();
        if (_canRun)
        {
            // The draft as it stands now: a rollout is refused if someone changes or publishes routing meanwhile.
            _routingDraft = await RuleSets.DraftAsync(await Access.ActorAsync(Policies.RunExperiments));
        }

        _timer ??= new Timer(_ => _ = InvokeAsync(RefreshAsync), null, RefreshEvery, RefreshEvery);
    }

    private async Task LoadAsync()
    {
        _experiment = await Service.FindAsync(Id);
        _missing = _experiment is null;
        _crumbs = [new("Experiments", "/experiments"), new(_experiment?.Name ?? $"#{Id}", null, disabled: true)];
        if (_experiment is null)
        {
            return;
        }

        _results = await Service.ResultsAsync(Id);
        BuildSeries();
    }

    /// <summary>Reloads while the experiment runs; charts are updated in place.</summary>
    private async Task RefreshAsync()
    {
        if (_experiment is not { State: ExperimentState.Running } || DateTimeOffset.UtcNow < _nextRefresh || Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            // A large experiment takes a while to analyse: keep refreshing from costing more than a fifth of the time.
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            await LoadAsync();
            _nextRefresh = DateTimeOffset.UtcNow + 4 * System.Diagnostics.Stopwatch.GetElapsedTime(started);
            await UpdateChartsAsync();
            StateHasChanged();
        }
        catch (ObjectDisposedException)
        {
            // The page was closed during the refresh.
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private void BuildSeries()
    {
        if (_results is null || _experiment is null)
        {
            return;
        }

        var arms = _experiment.Arms.Select(a => a.Name).ToList();
        _costSeries = [.. arms.Select(a => new ChartSeries(a, [.. _results.Series.Where(p => p.Arm == a).Select(p => new ChartPoint(p.Start.ToUnixTimeMilliseconds(), (double?)p.CostPerRequest))]))];
        _resolutionSeries = [.. arms.Select(a => new ChartSeries(a, [.. _results.Series.Where(p => p.Arm == a).Select(p => new ChartPoint(p.Start.ToUnixTimeMilliseconds(), p.ResolutionRate))]))];
        _requestsSeries = [.. arms.Select(a => new ChartSeries(a, [.. _results.Series.Where(p => p.Arm == a).Select(p => new ChartPoint(p.Start.ToUnixTimeMilliseconds(), p.Requests))]))];
    }

    private async Task UpdateChartsAsync()
    {
        foreach (var (chart, series) in new[] { (_costChart, _costSeries), (_resolutionChart, _resolutionSeries), (_requestsChart, _requestsSeries) })
        {
            if (chart is not null)
            {
                await chart.UpdateSeriesAsync(series);
            }
        }
    }

    private async Task StartAsync() => await ActAsync(async () => await Service.StartAsync(Id, await Access.ActorAsync(Policies.RunExperiments)), "Running: requests in scope are now split between the arms.");

    private async Task StopAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Stop experiment", "Stop it? Requests go back to the default tier mapping; the results are kept.", yesText: "Stop", cancelText: "Keep running");
        if (confirmed == true)
        {
            await ActAsync(async () => await Service.StopAsync(Id, await Access.ActorAsync(Policies.RunExperiments)), "Stopped. Requests use the default tier mapping again.");
        }
    }

    /// <summary>Writes the arm's mapping into the routing draft loaded with the page; someone else's change since then is reported, not overwritten.</summary>
    private async Task RolloutAsync(string arm)
    {
        var mapping = ExperimentService.MappingText(_experiment!.Arms.First(a => a.Name == arm).Tiers);
        var warning = _results is { ReachedSampleSize: false } ? " The experiment has not reached its minimum sample size, so the data cannot yet back this choice." : "";
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Roll out arm",
            $"Write the tier mapping of arm '{arm}' ({mapping}) into the routing draft? Live routing does not change until the draft is reviewed and published on the routing page; the experiment keeps its state. The change is written to the audit log.{warning}",
            yesText: "Write to draft",
            cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        _busy = true;
        try
        {
            var result = await Service.RolloutAsync(Id, arm, _routingDraft!, await Access.ActorAsync(Policies.RunExperiments));
            if (result.Done)
            {
                _routingDraft = result.Version;
                _rolledOut = arm;
                _rolloutError = null;
                Snackbar.Add($"The tier mapping of arm '{arm}' is in the routing draft, ready for review.", Severity.Success);
            }
            else
            {
                _rolledOut = null;
                _rolloutError = result.Summary;
            }
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task ReloadDraftAsync()
    {
        _routingDraft = await RuleSets.DraftAsync(await Access.ActorAsync(Policies.RunExperiments));
        _rolloutError = null;
    }

    private async Task ActAsync(Func<Task<ExperimentResult>> action, string done)
    {
        _busy = true;
        try
        {
            var result = await action();
            Snackbar.Add(result.Done ? done : result.Summary, result.Done ? Severity.Success : Severity.Error);
            await LoadAsync();
            await UpdateChartsAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    /// <summary>The tiers where the arms differ, with this arm's models: what the experiment is actually about.</summary>
    private string MappingDifference(string arm)
    {
        var arms = _experiment!.Arms;
        var tiers = arms.SelectMany(a => a.Tiers.Keys).Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(t => arms.Select(a => string.Join(",", a.Tiers.GetValueOrDefault(t) ?? [])).Distinct().Count() > 1)
            .ToList();
        var own = arms.First(a => a.Name == arm).Tiers;
        return string.Join("; ", tiers.Select(t => $"{t} → {string.Join(" › ", own.GetValueOrDefault(t) ?? [])}"));
    }

    private static string Money(decimal? value) => value is { } v ? Figures.Usd(v) : "—";

    private static string Ms(double? value) => value is { } v ? $"{v:N0}" : "—";

    private static string Value(MetricVerdict metric, double value) => metric.Metric switch
    {
        "Cost per request" => Figures.Usd((decimal)value),
        "Latency" => $"{value:N0} ms",
        _ => Figures.Percent(value),
    };

    private static string Difference(MetricVerdict metric)
    {
        var c = metric.Comparison;
        if (!c.Testable)
        {
            return "—";
        }

        if (metric.Relative && c.Relative is { } r)
        {
            return $"{r.Relative * 100:+0.0;−0.0}% ({r.Low * 100:+0.0;−0.0} to {r.High * 100:+0.0;−0.0}%)";
        }

        return $"{c.Difference * 100:+0.0;−0.0} pt ({c.Low * 100:+0.0;−0.0} to {c.High * 100:+0.0;−0.0})";
    }

    private static Severity RecommendationSeverity(VariantVerdict verdict) => verdict.Recommendation switch
    {
        var r when r.StartsWith("Ship", StringComparison.Ordinal) => Severity.Success,
        var r when r.StartsWith("Keep", StringComparison.Ordinal) => Severity.Warning,
        _ => Severity.Info,
    };

    private static bool Better(MetricVerdict metric) => metric.LowerIsBetter ? metric.Comparison.Difference < 0 : metric.Comparison.Difference > 0;

    public void Dispose() => _timer?.Dispose();
}
