using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Npgsql;

namespace CostConsole.Data.Database;

/// <summary>Which database engine holds the console's data.</summary>
public enum DatabaseProvider
{
    /// <summary>One file beside the app: the default, for a single instance.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server that several instances share.</summary>
    PostgreSql,
}

/// <summary>The <c>CostConsole:Database</c> configuration section.</summary>
public sealed class DatabaseOptions
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Required for PostgreSQL; for SQLite it overrides the default file in the data folder.</summary>
    public string? ConnectionString { get; set; }
}

/// <summary>
/// The console's database as the hand-written SQL sees it (the ledger, rollups, metrics): which engine, and connections
/// to it. Raw SQL written for both quotes its identifiers and names its parameters with <c>@</c>, which both accept.
/// </summary>
public sealed class CostConsoleDatabase : IAsyncDisposable
{
    public const string SqliteMigrationsAssembly = "CostConsole.Migrations.Sqlite";

    public const string PostgreSqlMigrationsAssembly = "CostConsole.Migrations.PostgreSql";

    private readonly NpgsqlDataSource? _dataSource;

    public CostConsoleDatabase(DatabaseProvider provider, string connectionString)
    {
        Provider = provider;
        ConnectionString = connectionString;
        if (provider == DatabaseProvider.PostgreSql)
        {
            _dataSource = NpgsqlDataSource.Create(connectionString);
        }
    }

    public DatabaseProvider Provider { get; }

    /// <summary>
    /// SQLite: held by this process's own writers of the ledger, the rollups and the spend totals around each write
    /// transaction, so they take turns. A writer waiting here resumes the moment the other commits; waiting on SQLite's
    /// lock instead sleeps in growing steps (1, 2, 5, 10, 15, 20 ms and on), and every request of the ledger batch held
    /// behind a rollup write waited out the whole step.
    /// </summary>
    public SemaphoreSlim SqliteWrites { get; } = new(1, 1);

    public string ConnectionString { get; }

    public bool IsPostgreSql => Provider == DatabaseProvider.PostgreSql;

    /// <summary>A connection to the database, opened.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        if (_dataSource is not null)
        {
            return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA busy_timeout=10000;";
        pragma.ExecuteNonQuery();
        return connection;
    }

    /// <summary>
    /// Points an EF Core context at this database, with the migrations of its engine and the model compiled for it
    /// (<c>CompiledModels/</c>), instead of building the model at start-up.
    /// </summary>
    /// <remarks>
    /// EF Core's check for model changes without a migration is off here. On every start with tables, that check rebuilds
    /// the model and the last migration's snapshot model to compare them. The schema tests make the same comparison for
    /// both engines, and also hold the compiled model equal to the model the code builds.
    /// </remarks>
    public void Configure(DbContextOptionsBuilder options)
    {
        if (_dataSource is not null)
        {
            options.UseNpgsql(_dataSource, o => o.MigrationsAssembly(PostgreSqlMigrationsAssembly))
                .UseModel(CompiledModels.PostgreSql.CostConsoleDbContextModel.Instance);
        }
        else
        {
            options.UseSqlite(ConnectionString, o => o.MigrationsAssembly(SqliteMigrationsAssembly))
                .UseModel(CompiledModels.Sqlite.CostConsoleDbContextModel.Instance);
        }

        options.ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning));
    }

    /// <summary>
    /// Runs the start-up work (migrations, seeding) that must happen once however many instances start together: on
    /// PostgreSQL under an advisory lock, so the second instance waits and then finds nothing left to do.
    /// </summary>
    public async Task RunStartupAsync(Func<Task> work, CancellationToken cancellationToken = default)
    {
        if (_dataSource is null)
        {
            await work().ConfigureAwait(false);
            return;
        }

        NpgsqlConnection connection;
        try
        {
            connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            var target = new NpgsqlConnectionStringBuilder(ConnectionString);
            throw new InvalidOperationException(
                $"Cannot reach the PostgreSQL database {target.Database} on {target.Host}:{target.Port} (CostConsole:Database:ConnectionString): {ex.Message} "
                + "Start the server, or correct the connection string, and start CostConsole again.",
                ex);
        }

        await using var owned = connection;
        await using (var take = new NpgsqlCommand("SELECT pg_advisory_lock($1)", connection))
        {
            take.Parameters.AddWithValue(StartupLockKey);
            await take.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await work().ConfigureAwait(false);
        }
        finally
        {
            await using var release = new NpgsqlCommand("SELECT pg_advisory_unlock($1)", connection);
            release.Parameters.AddWithValue(StartupLockKey);
            await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The advisory lock instances take around start-up ("CCStart").</summary>
    private const long StartupLockKey = 0x4343537461727400;

    public ValueTask DisposeAsync() => _dataSource?.DisposeAsync() ?? ValueTask.CompletedTask;
}

public static class DbCommandExtensions
{
    public static DbCommand Command(this DbConnection connection, string sql, DbTransaction? transaction = null)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    public static DbCommand With(this DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@" + name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return command;
    }
}
