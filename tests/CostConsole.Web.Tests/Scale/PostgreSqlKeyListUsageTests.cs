using CostConsole.Web.Tests.Keys;

namespace CostConsole.Web.Tests.Scale;

/// <summary>The keys list's last use and spend read in one query on PostgreSQL too, with the same figures as on SQLite.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlKeyListUsageTests(PostgresConsoleFactory factory) : KeyListUsageTests(factory), IClassFixture<PostgresConsoleFactory>;
