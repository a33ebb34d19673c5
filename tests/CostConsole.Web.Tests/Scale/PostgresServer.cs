using CostConsole.Testing;

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

    public Task<string> CreateDatabaseAsync(string name) => _server.CreateDatabaseAsync(name);

    public async ValueTask InitializeAsync() => await _server.StartAsync();

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "PostgreSQL";
}
