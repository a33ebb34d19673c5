using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Scale;

/// <summary>End users and conversations ranked from their running totals on PostgreSQL, where each ledger batch adds to them.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSpendTotalsTests(PostgresServer server) : SpendTotalsTests
{
    protected override async Task<LedgerDatabase> CreateDatabaseAsync()
    {
        var database = new CostConsoleDatabase(DatabaseProvider.PostgreSql, await server.CreateDatabaseAsync(server.NewDatabaseName("totals")));
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>();
        database.Configure(options);
        IDbContextFactory<CostConsoleDbContext> factory = new Factory(options.Options);
        await using (var db = await factory.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }

        return new LedgerDatabase(factory, database);
    }

    private sealed class Factory(DbContextOptions<CostConsoleDbContext> options) : IDbContextFactory<CostConsoleDbContext>
    {
        public CostConsoleDbContext CreateDbContext() => new(options);
    }
}
