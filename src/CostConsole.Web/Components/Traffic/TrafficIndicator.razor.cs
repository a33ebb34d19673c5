namespace CostConsole.Web.Components.Traffic;

/// <summary>
/// The app bar's sign that sample traffic is running, on every page: how far it is and a Stop button, so a run
/// started from a card that has since folded away can still be watched and stopped.
/// </summary>
public sealed partial class TrafficIndicator
{
    protected override TimeSpan RedrawEvery => TimeSpan.FromSeconds(1);
}
