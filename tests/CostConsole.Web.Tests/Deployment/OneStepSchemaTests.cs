using System.Data.Common;
using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Web.Tests.Scale;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace CostConsole.Web.Tests.Deployment;

/// <summary>
/// A fresh install creates its schema in one step; an upgrade applies migrations one by one. Both must end in exactly
/// the same database, or a fresh install would differ from every upgraded one.
/// </summary>
public sealed class OneStepSchemaTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("costconsole-schema-").FullName;

    [Fact]
    public async Task A_fresh_sqlite_database_created_in_one_step_has_exactly_the_schema_the_migrations_build()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var oneStep = Sqlite("one-step");
        await using var migrated = Sqlite("migrated");

        Assert.Equal(SchemaUpdateKind.CreatedInOneStep, await SchemaUpdate.ApplyAsync(oneStep, cancellationToken: ct));
        await migrated.Database.MigrateAsync(ct);

        var expected = await SqliteSchemaAsync(migrated, ct);
        Assert.Contains(expected, row => row.Contains("RequestLogSearch_Insert", StringComparison.Ordinal));
        Assert.Equal(expected, await SqliteSchemaAsync(oneStep, ct));
        Assert.Equal(await migrated.Database.GetAppliedMigrationsAsync(ct), await oneStep.Database.GetAppliedMigrationsAsync(ct));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.PostgreSql)]
    public void The_one_step_script_is_the_script_ef_core_writes_for_every_migration(DatabaseProvider provider)
    {
        // Generating needs no server: the PostgreSQL connection string is never opened.
        var database = new CostConsoleDatabase(provider, provider == DatabaseProvider.Sqlite ? "Data Source=:memory:" : "Host=localhost;Database=costconsole");
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>();
        database.Configure(options);
        using var db = new CostConsoleDbContext(options.Options);

        var script = SchemaUpdate.Script(db);

        Assert.Equal(db.GetService<IMigrator>().GenerateScript(options: MigrationsSqlGenerationOptions.NoTransactions), script);
        Assert.All(db.Database.GetMigrations(), id => Assert.Contains($"'{id}'", script, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_database_created_in_one_step_is_up_to_date_for_the_next_start()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var first = Sqlite("restarted"))
        {
            Assert.Equal(SchemaUpdateKind.CreatedInOneStep, await SchemaUpdate.ApplyAsync(first, cancellationToken: ct));
        }

        await using var second = Sqlite("restarted");
        Assert.Empty(await second.Database.GetPendingMigrationsAsync(ct));
        Assert.Equal(SchemaUpdateKind.Migrated, await SchemaUpdate.ApplyAsync(second, cancellationToken: ct));
        Assert.Equal(second.Database.GetMigrations(), await second.Database.GetAppliedMigrationsAsync(ct));
    }

    [Fact]
    public async Task A_database_of_an_older_version_still_migrates_one_migration_at_a_time()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var upgraded = Sqlite("upgraded");
        await using var migrated = Sqlite("migrated");
        var migrations = upgraded.Database.GetMigrations().ToList();
        await upgraded.GetService<IMigrator>().MigrateAsync(migrations[migrations.Count / 2], ct);

        Assert.Equal(SchemaUpdateKind.Migrated, await SchemaUpdate.ApplyAsync(upgraded, cancellationToken: ct));
        await migrated.Database.MigrateAsync(ct);

        Assert.Equal(migrations, await upgraded.Database.GetAppliedMigrationsAsync(ct));
        Assert.Equal(await SqliteSchemaAsync(migrated, ct), await SqliteSchemaAsync(upgraded, ct));
    }

    private CostConsoleDbContext Sqlite(string name)
    {
        var database = new CostConsoleDatabase(DatabaseProvider.Sqlite, $"Data Source={Path.Combine(_folder, name + ".db")};Pooling=False");
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>();
        database.Configure(options);
        return new CostConsoleDbContext(options.Options);
    }

    /// <summary>
    /// Every table, index, trigger and virtual table with the SQL SQLite keeps for it. EF Core's migration lock table is
    /// left out: the migrator creates it when it first takes the lock, which the next start does.
    /// </summary>
    private static async Task<List<string>> SqliteSchemaAsync(DbContext db, CancellationToken ct)
    {
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        await connection.OpenAsync(ct);
        try
        {
            return await RowsAsync(connection, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name <> '__EFMigrationsLock' ORDER BY type, name", ct);
        }
        finally
        {
            await connection.CloseAsync();
        }
    }

    internal static async Task<List<string>> RowsAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await using var reader = await command.ExecuteReaderAsync(ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            rows.Add(string.Join(" | ", Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlOneStepSchemaTests(PostgresServer server)
{
    private static readonly string[] SchemaQueries =
    [
        """
        SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable, column_default, character_maximum_length,
               numeric_precision, numeric_scale, is_identity, identity_generation, is_generated, generation_expression
        FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> '__EFMigrationsLock' ORDER BY table_name, ordinal_position
        """,
        "SELECT table_name, table_type FROM information_schema.tables WHERE table_schema = current_schema() AND table_name <> '__EFMigrationsLock' ORDER BY table_name",
        "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY tablename, indexname",
        "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1, 2",
        "SELECT event_object_table, trigger_name, event_manipulation, action_timing, action_statement FROM information_schema.triggers WHERE trigger_schema = current_schema() ORDER BY 1, 2, 3",
        "SELECT p.proname, pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace AND p.prokind = 'f' ORDER BY 1",
        "SELECT sequence_name, data_type, start_value, increment FROM information_schema.sequences WHERE sequence_schema = current_schema() ORDER BY 1",
    ];

    [Fact]
    public async Task A_fresh_postgresql_database_created_in_one_step_has_exactly_the_schema_the_migrations_build()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var oneStepDatabase = new CostConsoleDatabase(DatabaseProvider.PostgreSql, server.ConnectionString(server.NewDatabaseName("onestep")));
        await using var migratedDatabase = new CostConsoleDatabase(DatabaseProvider.PostgreSql, server.ConnectionString(server.NewDatabaseName("migrated")));
        await using var oneStep = Context(oneStepDatabase);
        await using var migrated = Context(migratedDatabase);

        Assert.Equal(SchemaUpdateKind.CreatedInOneStep, await SchemaUpdate.ApplyAsync(oneStep, cancellationToken: ct));
        await migrated.Database.MigrateAsync(ct);

        var expected = await SchemaAsync(migratedDatabase, ct);
        Assert.Contains(expected, row => row.StartsWith("RequestLog | Id", StringComparison.Ordinal));
        Assert.Equal(expected, await SchemaAsync(oneStepDatabase, ct));
        Assert.Equal(await migrated.Database.GetAppliedMigrationsAsync(ct), await oneStep.Database.GetAppliedMigrationsAsync(ct));
        Assert.Empty(await oneStep.Database.GetPendingMigrationsAsync(ct));
    }

    private static CostConsoleDbContext Context(CostConsoleDatabase database)
    {
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>();
        database.Configure(options);
        return new CostConsoleDbContext(options.Options);
    }

    private static async Task<List<string>> SchemaAsync(CostConsoleDatabase database, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = new List<string>();
        foreach (var query in SchemaQueries)
        {
            rows.AddRange(await OneStepSchemaTests.RowsAsync(connection, query, ct));
        }

        return rows;
    }
}
