using CostConsole.Web.Traffic;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Traffic;

/// <summary>Start and stop the sample workload, and watch its progress.</summary>
public sealed partial class TrafficPanel
{
    private double _rate = 20;
    private int _seconds = 120;
    private bool _outcomes;
    private string? _error;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    /// <summary>Only the controls, for the dashboard's empty state.</summary>
    [Parameter]
    public bool Compact { get; set; }

    /// <summary>Raised when a run starts.</summary>
    [Parameter]
    public EventCallback Started { get; set; }

    protected override TimeSpan RedrawEvery => TimeSpan.FromMilliseconds(500);

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

    private string Elapsed(TrafficRun run)
    {
        var end = run.FinishedAt ?? Time.GetUtcNow();
        return $"{(end - run.StartedAt).TotalSeconds:0} s of {run.Duration.TotalSeconds:0} s";
    }
}
