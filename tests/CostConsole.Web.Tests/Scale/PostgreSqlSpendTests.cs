using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Scale;

/// <summary>The Spend rankings on PostgreSQL, with the same ledger and expectations as on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSpendReportTests(PostgresServer server) : SpendReportTests
{
    protected override async Task<LedgerDatabase> CreateDatabaseAsync()
    {
        var database = new CostConsoleDatabase(DatabaseProvider.PostgreSql, await server.CreateDatabaseAsync(server.NewDatabaseName("spend")));
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
