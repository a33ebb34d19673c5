using CostConsole.Web.Tests.Metrics;
using CostConsole.Web.Tests.Requests;

namespace CostConsole.Web.Tests.Scale;

/// <summary>Content search on PostgreSQL's full-text index, with the same requests and expectations as on SQLite's FTS5.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlPromptSearchTests(PostgresConsoleFactory factory) : PromptSearchTests(factory), IClassFixture<PostgresConsoleFactory>;

/// <summary>A word found in more requests than the explorer counts, on PostgreSQL, with the same ledger and expectations as on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlSearchCountTests(PostgresServer server) : SearchCountTests
{
    protected override Task<LedgerDatabase> CreateDatabaseAsync() => server.CreateLedgerDatabaseAsync("search");
}
