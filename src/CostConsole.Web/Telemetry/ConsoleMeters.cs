using System.Diagnostics.Metrics;
using CostConsole.Data;
using CostConsole.Data.Ledger;
using CostConsole.Web.Budgets;

namespace CostConsole.Web.Telemetry;

/// <summary>The host's own instruments: what is left of each budget, and how the ledger's writer keeps up.</summary>
internal sealed class ConsoleMeters : IDisposable
{
    public const string Name = "CostConsole";

    public const string BudgetRemaining = "costconsole.budget.remaining";
    public const string LedgerQueueDepth = "costconsole.ledger.queue.depth";
    public const string LedgerCommitDuration = "costconsole.ledger.commit.duration";

    private static readonly IReadOnlyList<double> CommitBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

    private readonly Meter _meter;

    public ConsoleMeters(IMeterFactory meters, LedgerWriter ledger, BudgetGuard budgets)
    {
        _meter = meters.Create(new MeterOptions(Name));
        _meter.CreateObservableGauge(
            BudgetRemaining,
            () => budgets.States().Select(s => new Measurement<double>(
                (double)Money.FromNanoUsd(s.RemainingNanoUsd),
                new KeyValuePair<string, object?>("costconsole.budget", s.Budget.Name),
                new KeyValuePair<string, object?>("costconsole.budget.period", s.Budget.Period.ToString().ToLowerInvariant()))),
            "USD",
            "What is left of each enabled budget in its current period, reservations of requests in flight deducted.");
        _meter.CreateObservableGauge(LedgerQueueDepth, () => ledger.Queued, "{request}", "Requests waiting for the ledger's writer to commit their row.");
        var commits = _meter.CreateHistogram(LedgerCommitDuration, "s", "How long each group commit of ledger rows took.",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = CommitBuckets });
        ledger.SubscribeCommits((took, _) => commits.Record(took.TotalSeconds));
    }

    public void Dispose() => _meter.Dispose();
}
