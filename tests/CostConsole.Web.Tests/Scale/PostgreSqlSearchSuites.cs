using CostConsole.Web.Tests.Requests;

namespace CostConsole.Web.Tests.Scale;

/// <summary>Content search on PostgreSQL's full-text index, with the same requests and expectations as on SQLite's FTS5.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlPromptSearchTests(PostgresConsoleFactory factory) : PromptSearchTests(factory), IClassFixture<PostgresConsoleFactory>;
