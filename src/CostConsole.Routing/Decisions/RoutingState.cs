namespace CostConsole.Routing.Decisions;

/// <summary>
/// Holds the live snapshot. Publishing swaps it whole; a request reads it once and finishes on the snapshot
/// it started with, so in-flight requests never see half a configuration.
/// </summary>
public sealed class RoutingState
{
    private RoutingSnapshot? _current;

    public event Action<RoutingSnapshot>? Published;

    public bool IsReady => Volatile.Read(ref _current) is not null;

    public RoutingSnapshot Current =>
        Volatile.Read(ref _current) ?? throw new InvalidOperationException("No routing configuration has been published yet.");

    public void Publish(RoutingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Interlocked.Exchange(ref _current, snapshot);
        Published?.Invoke(snapshot);
    }
}
