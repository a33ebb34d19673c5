using System.Globalization;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Caching;
using CostConsole.Web.Components.Charts;
using CostConsole.Web.Components.Dashboard;
using CostConsole.Web.Metrics;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Pages;

/// <summary>
/// The live and historical view of spend. Live (the last 15 minutes) draws the per-second ticks and appends each
/// new one to the charts; longer ranges read the rollups. Filters and ranges that make no sense are refused with a
/// message and leave the view as it was.
/// </summary>
public sealed partial class Dashboard
{
    private static readonly string[] TierColors = ["#2e7d5b", "#2f5d8a", "#7b4fa0", "#c77700", "#a33b3b", "#4a7f8c"];

    private readonly CancellationTokenSource _disposed = new();
    private IDisposable? _subscription;
    private RangeKind _kind = RangeKind.Live;
    private MetricsRange? _range;
    private MetricsView? _view;
    private HeadlineFigures? _headlines;
    private MetricsChoices? _choices;
    private bool? _empty;
    private bool _loading;
    private string? _error;
    private string _exportUrl = "/api/metrics/export.csv?range=live";
    private string _key = "";
    private string _tier = "";
    private string _model = "";
    private string _rule = "";
    private string _team = "";
    private DateTime? _customFrom;
    private DateTime? _customTo;
    private long _ticksSeen;
    private decimal _liveSpend;
    private decimal _liveBaseline;

    private ApexChart? _spendChart;
    private ApexChart? _mixChart;
    private ApexChart? _savingsChart;
    private ApexChart? _latencyChart;
    private ApexChart? _ratesChart;
    private LiveSummary? _liveSummary;
    private HeadlineCards? _cards;
    private SavingsFigure? _savingsFigure;
    private IReadOnlyList<ChartSeries> _spendSeries = [];
    private IReadOnlyList<ChartSeries> _mixSeries = [];
    private IReadOnlyList<ChartSeries> _savingsSeries = [];
    private IReadOnlyList<ChartSeries> _latencySeries = [];
    private IReadOnlyList<ChartSeries> _ratesSeries = [];

    [Inject]
    private MetricsHistory History { get; set; } = null!;

    [Inject]
    private CacheService Cache { get; set; } = null!;

    private CacheDashboardFigures? _cacheFigures;

    [Inject]
    private DiscountHistory Discounts { get; set; } = null!;

    private DiscountDashboardFigures? _discountFigures;

    [Inject]
    private LiveMetrics Live { get; set; } = null!;

    [Inject]
    private RoutingState Routing { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    [Inject]
    private ILogger<Dashboard> Logger { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    // The range and filters live in the address, so a view can be bookmarked, shared and saved.
    [SupplyParameterFromQuery(Name = "range")]
    public string? RangeText { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? FromText { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? ToText { get; set; }

    [SupplyParameterFromQuery(Name = "key")]
    public string? KeyText { get; set; }

    [SupplyParameterFromQuery(Name = "team")]
    public string? TeamText { get; set; }

    [SupplyParameterFromQuery(Name = "tier")]
    public string? TierText { get; set; }

    [SupplyParameterFromQuery(Name = "model")]
    public string? ModelText { get; set; }

    [SupplyParameterFromQuery(Name = "rule")]
    public string? RuleText { get; set; }

    private bool IsLive => _kind == RangeKind.Live;

    private IReadOnlyList<string> Tiers => _view?.Tiers ?? Routing.Current.Tiers;

    private string? BaselineModel => Routing.Current.Baseline?.Model.Id;

    private ChartOptions SpendOptions => new() { Type = ChartType.Area, Stacked = true, Format = ChartFormat.Usd, Colors = Colors(), NoData = "No spend in this range", YTitle = "USD per point", XTitle = "time (UTC)" };

    /// <summary>What one point of the spend chart covers: a second live, a bucket of the range otherwise.</summary>
    private string SpendUnit => IsLive || _view is null ? "USD per second" : "USD per " + Per(_view.Range.Bucket);

    private ChartOptions MixOptions => new() { Type = ChartType.Donut, Format = ChartFormat.Usd, Colors = Colors(), Height = 300, TotalLabel = "Spend", NoData = "No spend in this range" };

    private static ChartOptions SavingsOptions => new() { Type = ChartType.Line, Format = ChartFormat.Usd, Height = 200, Colors = ["#9e9e9e", "#2e7d5b"], YTitle = "USD per point", XTitle = "time (UTC)" };

    private static ChartOptions LatencyOptions => new() { Type = ChartType.Line, Format = ChartFormat.Ms, Colors = ["#2f5d8a", "#c77700"], YTitle = "ms", XTitle = "time (UTC)" };

    private static ChartOptions RatesOptions => new() { Type = ChartType.Line, Format = ChartFormat.Percent, Colors = ["#c77700", "#a33b3b", "#6a4c93"], YTitle = "% of requests", XTitle = "time (UTC)" };

    private static string Per(TimeSpan bucket) => bucket switch
    {
        { TotalDays: >= 1 } b => b.TotalDays == 1 ? "day" : $"{b.TotalDays:0} days",
        { TotalHours: >= 1 } b => b.TotalHours == 1 ? "hour" : $"{b.TotalHours:0} hours",
        { TotalMinutes: >= 1 } b => b.TotalMinutes == 1 ? "minute" : $"{b.TotalMinutes:0} minutes",
        _ => "second",
    };

    private decimal SavingsSpend => IsLive ? _liveSpend : _view?.Totals.Spend ?? 0m;

    private decimal SavingsBaseline => IsLive ? _liveBaseline : _view?.Totals.Baseline ?? 0m;

    protected override async Task OnInitializedAsync()
    {
        try
        {
            _choices = await History.ChoicesAsync(_disposed.Token);
            _empty = !await History.AnyTrafficAsync(_disposed.Token);
        }
        catch (Exception ex) when (Closed(ex))
        {
            return;
        }

        if (RendererInfo.IsInteractive)
        {
            _subscription = Live.Subscribe(tick => _ = InvokeAsync(() => OnTickAsync(tick)));
        }
    }

    /// <summary>
    /// True when the page was closed (navigated away from) while a load waited: whatever then failed — a cancelled read,
    /// a token source already disposed, a chart whose element is gone — concerns a page nobody sees any more.
    /// </summary>
    private bool Closed(Exception ex) => ex is not OutOfMemoryException && _disposed.IsCancellationRequested;

    /// <summary>Reads the range and filters from the address; an address that makes no sense says why and shows the live view.</summary>
    protected override async Task OnParametersSetAsync()
    {
        _error = null;
        MetricsRange? custom = null;
        try
        {
            var kind = string.IsNullOrEmpty(RangeText) ? RangeKind.Live : MetricsRange.ParseKind(RangeText);
            (_key, _team, _tier, _model, _rule) = (KeyText ?? "", TeamText ?? "", TierText ?? "", ModelText ?? "", RuleText ?? "");
            if (_key.Length > 0 && !long.TryParse(_key, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            {
                throw new MetricsInputException($"'{_key}' is not an API key id.");
            }

            await History.ValidateAsync(Filter(), _disposed.Token);
            _kind = kind;
            if (kind == RangeKind.Custom)
            {
                var from = MetricsRange.ParseDate(FromText, "from");
                var to = MetricsRange.ParseDate(ToText, "to");
                var today = Time.GetUtcNow().UtcDateTime.Date;
                _customFrom = from?.ToDateTime(TimeOnly.MinValue) ?? _customFrom ?? today.AddDays(-6);
                _customTo = to?.ToDateTime(TimeOnly.MinValue) ?? _customTo ?? today;
                if (from is null || to is null)
                {
                    // Custom chosen, days not yet: the pickers are shown with a week filled in.
                    return;
                }

                custom = MetricsRange.Create(RangeKind.Custom, Time.GetUtcNow(), from, to);
            }
        }
        catch (MetricsInputException ex)
        {
            (_kind, _key, _team, _tier, _model, _rule) = (RangeKind.Live, "", "", "", "", "");
            _error = ex.Message;
        }
        catch (Exception ex) when (Closed(ex))
        {
            return;
        }

        await LoadAsync(custom);
    }

    private void SelectRange(RangeKind kind) => Go(kind);

    private void ApplyCustom()
    {
        try
        {
            // A range that makes no sense is refused here, and the view stays as it was.
            MetricsRange.Create(RangeKind.Custom, Time.GetUtcNow(), ToDate(_customFrom), ToDate(_customTo));
        }
        catch (MetricsInputException ex)
        {
            _error = ex.Message;
            return;
        }

        Go(RangeKind.Custom, from: Day(_customFrom), to: Day(_customTo));

        static DateOnly? ToDate(DateTime? value) => value is { } v ? DateOnly.FromDateTime(v) : null;
    }

    private async Task SetFilterAsync(string? key = null, string? tier = null, string? model = null, string? rule = null, string? team = null)
    {
        var previous = (_key, _tier, _model, _rule, _team);
        _key = key ?? _key;
        _tier = tier ?? _tier;
        _model = model ?? _model;
        _rule = rule ?? _rule;
        _team = team ?? _team;
        try
        {
            await History.ValidateAsync(Filter(), _disposed.Token);
        }
        catch (MetricsInputException ex)
        {
            (_key, _tier, _model, _rule, _team) = previous;
            _error = ex.Message;
            return;
        }

        Go(_kind);
    }

    private void Go(RangeKind kind, string? from = null, string? to = null)
    {
        var custom = kind == RangeKind.Custom;
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["range"] = kind == RangeKind.Live ? null : MetricsRange.Name(kind),
            ["from"] = custom ? from ?? Day(_customFrom) : null,
            ["to"] = custom ? to ?? Day(_customTo) : null,
            ["key"] = Blank(_key),
            ["team"] = Blank(_team),
            ["tier"] = Blank(_tier),
            ["model"] = Blank(_model),
            ["rule"] = Blank(_rule),
        }));
    }

    private static string? Day(DateTime? value) => value?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private MetricsFilter Filter() => new(
        long.TryParse(_key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var key) ? key : null,
        Blank(_tier),
        Blank(_model),
        Blank(_rule),
        Blank(_team));

    private static string? Blank(string value) => value.Length == 0 ? null : value;

    private async Task RefreshAsync() => await LoadAsync(_kind == RangeKind.Custom && _range is { Kind: RangeKind.Custom } custom ? custom : null);

    private async Task LoadAsync(MetricsRange? custom)
    {
        _loading = true;
        try
        {
            var now = Time.GetUtcNow();
            var range = custom ?? MetricsRange.Create(_kind, now);
            var filter = IsLive ? MetricsFilter.None : Filter();
            _headlines = await History.HeadlinesAsync(range, filter, now, _disposed.Token);
            _cacheFigures = await Cache.DashboardAsync(range, filter, _headlines.RangeName, _disposed.Token);
            _discountFigures = await Discounts.DashboardAsync(range, filter, _headlines.RangeName, _disposed.Token);
            if (range.Kind == RangeKind.Live)
            {
                _view = null;
                var recent = Live.Recent(LiveMetrics.Window);
                _headlines = LiveHeadlines(_headlines, recent);
                ShowLive(recent);
            }
            else
            {
                _view = await History.LoadAsync(range, filter, _disposed.Token);
                ShowHistory(_view);
            }

            _range = range;
            _kind = range.Kind;
            _exportUrl = MetricsApi.ExportUrl(range, filter);
            await PushSeriesAsync();
        }
        catch (Exception ex) when (Closed(ex))
        {
            // The page was closed.
        }
        finally
        {
            _loading = false;
        }
    }

    private void ShowHistory(MetricsView view)
    {
        var buckets = view.Buckets;
        _spendSeries = [.. view.Tiers.Select(t => new ChartSeries(t, [.. buckets.Select(b => Point(b.Start, (double)b.SpendByTier.GetValueOrDefault(t)))]))];
        _mixSeries = [.. view.Tiers.Select(t => ChartSeries.Slice(t, (double)view.SpendByTier.GetValueOrDefault(t)))];
        _savingsSeries =
        [
            new ChartSeries("Baseline", [.. buckets.Select(b => Point(b.Start, (double)b.Totals.Baseline))]),
            new ChartSeries("Spend", [.. buckets.Select(b => Point(b.Start, (double)b.Totals.Spend))]),
        ];
        _latencySeries =
        [
            new ChartSeries("p50", [.. buckets.Select(b => Point(b.Start, Rounded(b.LatencyP50Ms)))]),
            new ChartSeries("p95", [.. buckets.Select(b => Point(b.Start, Rounded(b.LatencyP95Ms)))]),
        ];
        _ratesSeries =
        [
            new ChartSeries("Fallback rate", [.. buckets.Select(b => Point(b.Start, b.Totals.FallbackRate))]),
            new ChartSeries("Error rate", [.. buckets.Select(b => Point(b.Start, b.Totals.ErrorRate))]),
            new ChartSeries("Escalation rate", [.. buckets.Select(b => Point(b.Start, b.Totals.EscalationRate))]),
        ];
    }

    private void ShowLive(IReadOnlyList<MetricsTick> ticks)
    {
        var tiers = Tiers;
        _spendSeries = [.. tiers.Select(t => new ChartSeries(t, [.. ticks.Select(k => Point(k.Time, (double)k.SpendByTier.GetValueOrDefault(t)))]))];
        _savingsSeries =
        [
            new ChartSeries("Baseline", [.. ticks.Select(k => Point(k.Time, (double)k.Baseline))]),
            new ChartSeries("Spend", [.. ticks.Select(k => Point(k.Time, (double)k.Spend))]),
        ];
        _latencySeries =
        [
            new ChartSeries("p50", [.. ticks.Select(k => Point(k.Time, k.LatencyP50Ms))]),
            new ChartSeries("p95", [.. ticks.Select(k => Point(k.Time, k.LatencyP95Ms))]),
        ];
        _ratesSeries =
        [
            new ChartSeries("Fallback rate", [.. ticks.Select(k => Point(k.Time, Rate(k.FallbackRequests, k.Requests)))]),
            new ChartSeries("Error rate", [.. ticks.Select(k => Point(k.Time, Rate(k.Errors, k.Requests)))]),
            new ChartSeries("Escalation rate", [.. ticks.Select(k => Point(k.Time, Rate(k.Escalations, k.Requests)))]),
        ];
        ShowLiveTotals(ticks);
    }

    private void ShowLiveTotals(IReadOnlyList<MetricsTick> ticks)
    {
        _mixSeries = [.. Tiers.Select(t => ChartSeries.Slice(t, (double)ticks.Sum(k => k.SpendByTier.GetValueOrDefault(t))))];
        _liveSpend = ticks.Sum(t => t.Spend);
        _liveBaseline = ticks.Sum(t => t.Baseline);
    }

    private async Task PushSeriesAsync()
    {
        foreach (var (chart, series) in new[] { (_spendChart, _spendSeries), (_mixChart, _mixSeries), (_savingsChart, _savingsSeries), (_latencyChart, _latencySeries), (_ratesChart, _ratesSeries) })
        {
            if (chart is not null)
            {
                await chart.UpdateSeriesAsync(series);
            }
        }
    }

    /// <summary>A new second: its points are appended to the live charts; the page itself is not re-rendered.</summary>
    private async Task OnTickAsync(MetricsTick tick)
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        try
        {
            if (_empty == true && tick.Requests > 0)
            {
                _empty = false;
                _choices = await History.ChoicesAsync(_disposed.Token);
                StateHasChanged();
            }

            if (!IsLive)
            {
                return;
            }

            if (_range is not null && (tick.Requests > 0 || ++_ticksSeen % 5 == 0))
            {
                // Today and this month are read again after every second with traffic (and every five seconds besides,
                // for the day's turn): the rollups up to the late-arrival margin plus the ledger's rows since. Read before
                // the ticks are taken, so the cards hold every request the live line shows, shown in the same render.
                _headlines = await History.HeadlinesAsync(_range, MetricsFilter.None, Time.GetUtcNow(), _disposed.Token);
            }

            // One snapshot of the window for everything the live view shows: the summary line, the window's cards,
            // the savings figure, the tier mix and the lines all add up the same ticks, rendered together.
            var window = LiveMetrics.Window;
            var recent = Live.Recent(window);
            _liveSummary?.Show(recent);
            ShowLiveTotals(recent);
            _savingsFigure?.Show(_liveSpend, _liveBaseline);
            if (_headlines is not null)
            {
                _headlines = LiveHeadlines(_headlines, recent);
                _cards?.Show(_headlines, recent.Count == 0 ? null : recent[^1].Sequence);
            }

            await AppendLiveAsync(tick, window);
            await UpdateMixAsync();
        }
        catch (Exception ex) when (ex is Microsoft.JSInterop.JSDisconnectedException or OperationCanceledException or ObjectDisposedException)
        {
            // The page is closing.
        }
    }

    private async Task UpdateMixAsync()
    {
        try
        {
            if (_mixChart is { } chart)
            {
                await chart.UpdateSeriesAsync(_mixSeries);
            }
        }
        catch (Microsoft.JSInterop.JSException ex)
        {
            Logger.LogDebug(ex, "The live tier mix was not updated this time.");
        }
    }

    /// <summary>Appends the tick's points to the four live charts.</summary>
    private async Task AppendLiveAsync(MetricsTick tick, TimeSpan window)
    {
        var x = tick.Time.ToUnixTimeMilliseconds();
        try
        {
            await _spendChart!.AppendAsync([.. Tiers.Select(t => new ChartSeries(t, [new ChartPoint(x, (double)tick.SpendByTier.GetValueOrDefault(t))]))], window);
            await _savingsChart!.AppendAsync([new ChartSeries("Baseline", [new ChartPoint(x, (double)tick.Baseline)]), new ChartSeries("Spend", [new ChartPoint(x, (double)tick.Spend)])], window);
            await _latencyChart!.AppendAsync([new ChartSeries("p50", [new ChartPoint(x, tick.LatencyP50Ms)]), new ChartSeries("p95", [new ChartPoint(x, tick.LatencyP95Ms)])], window);
            await _ratesChart!.AppendAsync(
                [new ChartSeries("Fallback rate", [new ChartPoint(x, Rate(tick.FallbackRequests, tick.Requests))]), new ChartSeries("Error rate", [new ChartPoint(x, Rate(tick.Errors, tick.Requests))]),
                 new ChartSeries("Escalation rate", [new ChartPoint(x, Rate(tick.Escalations, tick.Requests))])],
                window);
        }
        catch (Microsoft.JSInterop.JSException ex)
        {
            // A chart that is being re-created misses a point; the rest of the tick (summary, cards) still runs.
            Logger.LogDebug(ex, "A live chart update was skipped.");
        }
    }

    /// <summary>The window's cards from the live ticks (the period before stays on the rollups), naming the window's end.</summary>
    private static HeadlineFigures LiveHeadlines(HeadlineFigures figures, IReadOnlyList<MetricsTick> recent) => figures with
    {
        Range = LiveMetrics.Totals(recent),
        RangeName = recent.Count == 0 ? "the last 15 minutes" : $"the last 15 minutes to {recent[^1].Time:HH:mm:ss} UTC",
    };

    private IReadOnlyList<string> Colors() => [.. Tiers.Select((_, i) => TierColors[i % TierColors.Length])];

    private static ChartPoint Point(DateTimeOffset time, double? value) => new(time.ToUnixTimeMilliseconds(), value);

    private static double? Rounded(double? value) => value is { } v ? Math.Round(v, 1) : null;

    private static double? Rate(long part, long whole) => whole == 0 ? null : (double)part / whole;

    private static string RangeLabel(RangeKind kind) => kind switch
    {
        RangeKind.Live => "Live",
        RangeKind.Day => "24 hours",
        RangeKind.Week => "7 days",
        RangeKind.Month => "30 days",
        _ => "Custom",
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _subscription?.Dispose();
            _disposed.Cancel();
            _disposed.Dispose();
        }

        base.Dispose(disposing);
    }
}
