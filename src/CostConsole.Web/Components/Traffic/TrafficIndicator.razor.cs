using CostConsole.Web.Traffic;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Traffic;

/// <summary>
/// The app bar's sign that sample traffic is running, on every page: how far it is and a Stop button, so a run
/// started from a card that has since folded away can still be watched and stopped.
/// </summary>
public sealed partial class TrafficIndicator : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private bool _watching;

    [Inject]
    private TrafficGenerator Generator { get; set; } = null!;

    private bool Running => Generator.Current is { Running: true };

    protected override void OnInitialized()
    {
        Generator.Changed += OnChanged;
        if (Running)
        {
            _ = WatchAsync();
        }
    }

    private void Stop() => Generator.Stop();

    private void OnChanged() => _ = InvokeAsync(() =>
    {
        if (Running)
        {
            _ = WatchAsync();
        }

        StateHasChanged();
    });

    /// <summary>Redraws the count once a second while a run goes on.</summary>
    private async Task WatchAsync()
    {
        if (_watching)
        {
            return;
        }

        _watching = true;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
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

    private static double Percent(TrafficRun run) => run.Planned == 0 ? 0 : Math.Min(100, 100.0 * run.Progress.Sent / run.Planned);

    public void Dispose()
    {
        Generator.Changed -= OnChanged;
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
