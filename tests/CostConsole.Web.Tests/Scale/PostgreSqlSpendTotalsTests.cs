using CostConsole.Web.Tests.Metrics;

namespace CostConsole.Web.Tests.Scale;

/// <summary>End users and conversations ranked from their running totals on PostgreSQL, where each ledger batch adds to them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSpendTotalsTests(PostgresServer server) : SpendTotalsTests
{
    protected override Task<LedgerDatabase> CreateDatabaseAsync() => server.CreateLedgerDatabaseAsync("totals");
}
