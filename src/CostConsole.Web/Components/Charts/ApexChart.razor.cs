using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;

namespace CostConsole.Web.Components.Charts;

/// <summary>
/// An ApexCharts chart. It is drawn once from <see cref="Options"/> and <see cref="Series"/>; after that,
/// <see cref="UpdateSeriesAsync"/> replaces the data and <see cref="AppendAsync"/> adds live points, both without
/// re-rendering the page.
/// </summary>
public sealed partial class ApexChart : IAsyncDisposable
{
    private ElementReference _element;
    private IJSObjectReference? _module;
    private bool _drawn;
    private int _version;

    [Inject]
    private IJSRuntime JS { get; set; } = null!;

    [Parameter, EditorRequired]
    public ChartOptions Options { get; set; } = new();

    /// <summary>The data to draw first; later changes go through <see cref="UpdateSeriesAsync"/>.</summary>
    [Parameter]
    public IReadOnlyList<ChartSeries> Series { get; set; } = [];

    [Parameter]
    public string? TestId { get; set; }

    /// <summary>Replaces every series.</summary>
    public async Task UpdateSeriesAsync(IReadOnlyList<ChartSeries> series)
    {
        Series = series;
        _version++;
        if (_module is not null && _drawn)
        {
            await _module.InvokeVoidAsync("update", _element, series);
        }
    }

    /// <summary>Adds points to the named series and drops those older than <paramref name="window"/> before the newest.</summary>
    public async Task AppendAsync(IReadOnlyList<ChartSeries> points, TimeSpan window)
    {
        if (_module is not null && _drawn)
        {
            await _module.InvokeVoidAsync("append", _element, points, (long)window.TotalMilliseconds);
        }
    }

    protected override bool ShouldRender() => !_drawn;

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender)
        {
            return;
        }

        try
        {
            _module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/apexchart.js");
            var drawn = _version;
            await _module.InvokeVoidAsync("create", _element, Options, Series);
            _drawn = true;
            if (_version != drawn)
            {
                // New data arrived while the chart was being drawn.
                await _module.InvokeVoidAsync("update", _element, Series);
            }
        }
        catch (JSDisconnectedException)
        {
            // The circuit went away before the chart was drawn.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_module is null)
        {
            return;
        }

        try
        {
            await _module.InvokeVoidAsync("destroy", _element);
            await _module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // The page is gone, and the chart with it.
        }
    }
}
