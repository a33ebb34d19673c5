using CostConsole.Web.Tests.Access;

namespace CostConsole.Web.Tests.Scale;

public sealed class PostgresNoAdminFactory(PostgresServer server) : PostgresConsoleFactory(server, server.NewDatabaseName("firstrun"), new()
{
    ["CostConsole:Admin:Email"] = "",
    ["CostConsole:Admin:Password"] = "",
});

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlFirstRunTests(PostgresNoAdminFactory factory) : FirstRunRace(factory), IClassFixture<PostgresNoAdminFactory>;
