using CostConsole.Routing.Pipeline;

namespace CostConsole.Routing.Telemetry;

/// <summary>
/// The ledger, measured: every request writes exactly one row, answered, failed or rejected, so the row is where a
/// request is counted, once it is committed (a row the ledger refused was not answered, and is not counted).
/// </summary>
public sealed class MeasuredLedger(ILedger inner, PipelineTelemetry telemetry) : ILedger
{
    public async ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
    {
        await inner.RecordAsync(entry, cancellationToken).ConfigureAwait(false);
        telemetry.Record(entry);
    }
}
