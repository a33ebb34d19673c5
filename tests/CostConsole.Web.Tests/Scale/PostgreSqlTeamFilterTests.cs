using CostConsole.Web.Tests.Requests;

namespace CostConsole.Web.Tests.Scale;

/// <summary>The explorer, its CSV and the dashboard count a team, and no team, the same way on PostgreSQL.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlTeamFilterTests(PostgresConsoleFactory factory) : TeamFilterTests(factory), IClassFixture<PostgresConsoleFactory>;
