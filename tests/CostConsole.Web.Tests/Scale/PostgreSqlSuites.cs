using CostConsole.Web.Tests.Api;
using CostConsole.Web.Tests.Budgets;
using CostConsole.Web.Tests.Catalogue;
using CostConsole.Web.Tests.Keys;
using CostConsole.Web.Tests.Metrics;

namespace CostConsole.Web.Tests.Scale;

// The app's own suites for the ledger, rollups and dashboard figures, pricing, budgets and keys, run again with the
// data on PostgreSQL: each class gets a fresh database on the collection's server.

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlChatCompletionsTests(PostgresConsoleFactory factory) : ChatCompletionsTests(factory), IClassFixture<PostgresConsoleFactory>;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlLedgerPricingTests(PostgresConsoleFactory factory) : LedgerPricingTests(factory), IClassFixture<PostgresConsoleFactory>;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlRollupTests(PostgresConsoleFactory factory) : RollupTests(factory), IClassFixture<PostgresConsoleFactory>;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlBudgetEnforcementTests(PostgresConsoleFactory factory) : BudgetEnforcementTests(factory), IClassFixture<PostgresConsoleFactory>;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlKeyChangeTests(PostgresConsoleFactory factory) : KeyChangeTests(factory), IClassFixture<PostgresConsoleFactory>;
