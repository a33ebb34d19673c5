using CostConsole.Data.Ledger;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Durability;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlRefusedLedgerRowTests(PostgresConsoleFactory factory) : IClassFixture<PostgresConsoleFactory>
{
    [Theory]
    [InlineData(PostgreSqlLedgerWrite.Copy)]
    [InlineData(PostgreSqlLedgerWrite.Insert)]
    public async Task A_row_the_ledger_refuses_fails_only_its_own_request_and_the_dashboard_still_equals_the_ledger(PostgreSqlLedgerWrite write)
    {
        var result = await RefusedLedgerRow.WriteBatchWithADuplicateAsync(factory, new LedgerOptions { PostgreSqlWrite = write });

        result.AssertOnlyTheDuplicateFailed();
        var history = factory.Services.GetRequiredService<MetricsHistory>();
        var view = await history.LoadAsync(MetricsRange.Create(RangeKind.Day, DateTimeOffset.UtcNow.AddMinutes(1)), MetricsFilter.None, TestContext.Current.CancellationToken);
        var today = result.After.Where(r => r.Timestamp >= view.Range.From).ToList();
        Assert.Equal(today.Count, view.Totals.Requests);
        Assert.Equal(today.Sum(r => r.CostNanoUsd), view.Totals.CostNanoUsd);
    }
}
