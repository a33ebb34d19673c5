using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Testing;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// One throwaway PostgreSQL server for the tests of the PostgreSQL collection; each test class asks it for a database
/// of its own. Where PostgreSQL is not installed the collection's tests fail with the command that installs it.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly ThrowawayPostgres _server = new();

    public string AdminConnectionString => _server.AdminConnectionString;

    public string ConnectionString(string database) => _server.ConnectionString(database);

    public string NewDatabaseName(string prefix = "costconsole") => _server.NewDatabaseName(prefix);

    public Task<string> CreateDatabaseAsync(string name, string? locale = null) => _server.CreateDatabaseAsync(name, locale);

    /// <summary>A new database of this server with the schema migrated, for the tests that run a ledger's queries on both stores.</summary>
    public async Task<LedgerDatabase> CreateLedgerDatabaseAsync(string prefix)
    {
        var database = new CostConsoleDatabase(DatabaseProvider.PostgreSql, await CreateDatabaseAsync(NewDatabaseName(prefix)));
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>();
        database.Configure(options);
        IDbContextFactory<CostConsoleDbContext> factory = new Factory(options.Options);
        await using (var db = await factory.CreateDbContextAsync())
        {
            await db.Database.MigrateAsync();
        }

        return new LedgerDatabase(factory, database);
    }

    public async ValueTask InitializeAsync() => await _server.StartAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private sealed class Factory(DbContextOptions<CostConsoleDbContext> options) : IDbContextFactory<CostConsoleDbContext>
    {
        public CostConsoleDbContext CreateDbContext() => new(options);
    }
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
