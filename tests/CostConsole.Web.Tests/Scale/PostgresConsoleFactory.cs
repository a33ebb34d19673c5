using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Scale;

/// <summary>The whole app on a database of its own on the collection's PostgreSQL server.</summary>
public class PostgresConsoleFactory : CostConsoleFactory, IAsyncLifetime
{
    private readonly PostgresServer _server;

    public PostgresConsoleFactory(PostgresServer server) : this(server, server.NewDatabaseName(), [])
    {
    }

    protected PostgresConsoleFactory(PostgresServer server, string database, Dictionary<string, string?> settings)
        : base(WithDatabase(server, database, settings))
    {
        _server = server;
        Database = database;
        ConnectionString = server.ConnectionString(database);
    }

    public string Database { get; }

    public string ConnectionString { get; }

    public virtual async ValueTask InitializeAsync() => await _server.CreateDatabaseAsync(Database);

    private static Dictionary<string, string?> WithDatabase(PostgresServer server, string database, Dictionary<string, string?> settings) => new(settings)
    {
        ["CostConsole:Database:Provider"] = "PostgreSql",
        ["CostConsole:Database:ConnectionString"] = server.ConnectionString(database),
    };
}
