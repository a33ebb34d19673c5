using CostConsole.Web.Traffic;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Traffic;

/// <summary>Start and stop the sample workload, and watch its progress.</summary>
public sealed partial class TrafficPanel : IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private double _rate = 20;
    private int _seconds = 120;
    private bool _outcomes;
    private string? _error;
    private bool _watching;

    [Inject]
    private TrafficGenerator Generator { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    /// <summary>Only the controls, for the dashboard's empty state.</summary>
    [Parameter]
    public bool Compact { get; set; }

    /// <summary>Raised when a run starts.</summary>
    [Parameter]
    public EventCallback Started { get; set; }

    private bool Running => Generator.Current is { Running: true };

    protected override void OnInitialized()
    {
        Generator.Changed += OnChanged;
        if (Running)
        {
            _ = WatchAsync();
        }
    }

    private async Task Start()
    {
        _error = null;
        try
        {
            Generator.Start(_rate, TimeSpan.FromSeconds(_seconds), _outcomes);
        }
        catch (TrafficInputException ex)
        {
            _error = ex.Message;
            return;
        }

        _ = WatchAsync();
        await Started.InvokeAsync();
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

    /// <summary>Redraws the progress twice a second while a run goes on.</summary>
    private async Task WatchAsync()
    {
        if (_watching)
        {
            return;
        }

        _watching = true;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (Running && await timer.WaitForNextTickAsync(_disposed.Token))
            {
                await InvokeAsync(StateHasChanged);
            }
        }
        catch (OperationCanceledException)
        {
            // The panel was closed.
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

    private string Elapsed(TrafficRun run)
    {
        var end = run.FinishedAt ?? Time.GetUtcNow();
        return $"{(end - run.StartedAt).TotalSeconds:0} s of {run.Duration.TotalSeconds:0} s";
    }

    public void Dispose()
    {
        Generator.Changed -= OnChanged;
        _disposed.Cancel();
        _disposed.Dispose();
    }
}
