using CostConsole.Web.Tests.Metrics;

namespace CostConsole.Web.Tests.Scale;

/// <summary>The Spend rankings on PostgreSQL, with the same ledger and expectations as on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSpendReportTests(PostgresServer server) : SpendReportTests
{
    protected override Task<LedgerDatabase> CreateDatabaseAsync() => server.CreateLedgerDatabaseAsync("spend");
}
