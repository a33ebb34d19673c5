using CostConsole.Web.Traffic;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Traffic;

/// <summary>
/// What the traffic panel and the app bar's indicator share: they follow the sample-traffic generator, redraw on a
/// timer while a run goes on, and stop it on request.
/// </summary>
public abstract class TrafficWatcher : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private bool _watching;

    [Inject]
    private protected TrafficGenerator Generator { get; set; } = null!;

    protected bool Running => Generator.Current is { Running: true };

    /// <summary>How often the progress is redrawn while a run goes on.</summary>
    protected abstract TimeSpan RedrawEvery { get; }

    private protected static double Percent(TrafficRun run) => run.Planned == 0 ? 0 : Math.Min(100, 100.0 * run.Progress.Sent / run.Planned);

    protected override void OnInitialized()
    {
        Generator.Changed += OnChanged;
        if (Running)
        {
            _ = WatchAsync();
        }
    }

    protected void Stop() => Generator.Stop();

    private void OnChanged() => _ = InvokeAsync(() =>
    {
        if (Running)
        {
            _ = WatchAsync();
        }

        StateHasChanged();
    });

    /// <summary>Redraws the progress every <see cref="RedrawEvery"/> while a run goes on, and once when it ends.</summary>
    protected async Task WatchAsync()
    {
        if (_watching)
        {
            return;
        }

        _watching = true;
        using var timer = new PeriodicTimer(RedrawEvery);
        try
        {
            while (Running && await timer.WaitForNextTickAsync(_disposed.Token))
            {
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (OperationCanceledException)
        {
            // The page was closed.
        }
        finally
        {
            _watching = false;
        }

        if (!_disposed.IsCancellationRequested)
        {
            await InvokeAsync(StateHasChanged);
        }
    }

    public void Dispose()
    {
        Generator.Changed -= OnChanged;
        _disposed.Cancel();
        _disposed.Dispose();
        GC.SuppressFinalize(this);
    }
}
