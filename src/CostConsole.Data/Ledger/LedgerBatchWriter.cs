using System.Text.Json;
using CostConsole.Data.Database;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Pipeline;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;
using SQLitePCL;

namespace CostConsole.Data.Ledger;

/// <summary>Commits one batch of ledger rows in one transaction: all of them or none.</summary>
internal abstract class LedgerBatchWriter : IAsyncDisposable
{
    /// <summary>The ledger's columns as the writers fill them, with their PostgreSQL types.</summary>
    protected static readonly (string Name, NpgsqlDbType Type)[] Columns =
    [
        ("RequestId", NpgsqlDbType.Text), ("Timestamp", NpgsqlDbType.Bigint), ("ApiKeyId", NpgsqlDbType.Bigint),
        ("RequestedModel", NpgsqlDbType.Text), ("Tier", NpgsqlDbType.Text), ("Model", NpgsqlDbType.Text),
        ("Provider", NpgsqlDbType.Text), ("Rule", NpgsqlDbType.Text), ("Decision", NpgsqlDbType.Text), ("Mapping", NpgsqlDbType.Text),
        ("RuleSetVersion", NpgsqlDbType.Integer), ("PromptTokens", NpgsqlDbType.Bigint), ("CachedTokens", NpgsqlDbType.Bigint),
        ("CompletionTokens", NpgsqlDbType.Bigint), ("CostNanoUsd", NpgsqlDbType.Bigint), ("BaselineCostNanoUsd", NpgsqlDbType.Bigint),
        ("Priced", NpgsqlDbType.Boolean), ("LatencyMs", NpgsqlDbType.Double), ("TimeToFirstTokenMs", NpgsqlDbType.Double),
        ("Status", NpgsqlDbType.Integer), ("HttpStatus", NpgsqlDbType.Integer), ("ErrorCode", NpgsqlDbType.Text), ("Error", NpgsqlDbType.Text),
        ("Stream", NpgsqlDbType.Boolean), ("Fallbacks", NpgsqlDbType.Integer), ("AttemptsJson", NpgsqlDbType.Text),
        ("PromptHash", NpgsqlDbType.Text), ("Prompt", NpgsqlDbType.Text), ("RoutingInput", NpgsqlDbType.Text),
        ("ConversationId", NpgsqlDbType.Text), ("ExperimentId", NpgsqlDbType.Bigint), ("Arm", NpgsqlDbType.Text),
        ("Escalations", NpgsqlDbType.Integer), ("Review", NpgsqlDbType.Integer), ("EscalationCostNanoUsd", NpgsqlDbType.Bigint),
        ("Protocol", NpgsqlDbType.Varchar),
        ("PersonalData", NpgsqlDbType.Text), ("PromptRedacted", NpgsqlDbType.Boolean),
        ("CacheLevel", NpgsqlDbType.Text), ("CacheEntryId", NpgsqlDbType.Text), ("CacheSimilarity", NpgsqlDbType.Double),
        ("CacheAvoidedCostNanoUsd", NpgsqlDbType.Bigint), ("BatchId", NpgsqlDbType.Text),
        ("CacheWriteTokens", NpgsqlDbType.Bigint),
        ("ShadowModel", NpgsqlDbType.Text), ("ShadowTier", NpgsqlDbType.Text), ("ShadowDecision", NpgsqlDbType.Text),
        ("Explored", NpgsqlDbType.Boolean), ("Propensity", NpgsqlDbType.Double),
        ("ColdCacheCostNanoUsd", NpgsqlDbType.Bigint),
        ("EndUser", NpgsqlDbType.Varchar),
        ("Team", NpgsqlDbType.Text),
        ("Answer", NpgsqlDbType.Text),
    ];

    public abstract Task WriteAsync(IReadOnlyList<LedgerEntry> batch);

    /// <summary>Whether the batch failed because the schema refused a row (a constraint), not because the store is unavailable.</summary>
    public abstract bool IsRowRejected(Exception exception);

    public abstract ValueTask DisposeAsync();

    /// <summary>One entry's values, in the order of <see cref="Columns"/>.</summary>
    protected static void Fill(object?[] values, LedgerEntry e)
    {
        var i = 0;
        values[i++] = e.RequestId;
        values[i++] = e.Timestamp.ToUnixTimeMilliseconds();
        values[i++] = e.ApiKeyId;
        values[i++] = e.RequestedModel;
        values[i++] = e.Tier;
        values[i++] = e.Model;
        values[i++] = e.Provider;
        values[i++] = e.Rule;
        values[i++] = e.Decision;
        values[i++] = e.Mapping;
        values[i++] = e.RuleSetVersion;
        values[i++] = e.PromptTokens;
        values[i++] = e.CachedTokens;
        values[i++] = e.CompletionTokens;
        values[i++] = Money.ToNanoUsd(e.Cost);
        values[i++] = Money.ToNanoUsd(e.BaselineCost);
        values[i++] = e.Priced;
        values[i++] = e.LatencyMs;
        values[i++] = e.TimeToFirstTokenMs;
        values[i++] = (int)e.Status;
        values[i++] = e.HttpStatus;
        values[i++] = e.ErrorCode;
        values[i++] = e.Error;
        values[i++] = e.Stream;
        values[i++] = e.Fallbacks;
        values[i++] = e.Attempts.Count == 0 ? null : JsonSerializer.Serialize(e.Attempts, LedgerJson.Default.IReadOnlyListAttemptRecord);
        values[i++] = e.PromptHash;
        values[i++] = e.Prompt;
        values[i++] = e.RoutingInput;
        values[i++] = e.ConversationId;
        values[i++] = e.ExperimentId;
        values[i++] = e.Arm;
        values[i++] = e.Escalations;
        values[i++] = (int)e.Review;
        values[i++] = Money.ToNanoUsd(e.EscalationCost);
        values[i++] = e.Protocol;
        values[i++] = e.PersonalData;
        values[i++] = e.PromptRedacted;
        values[i++] = e.CacheLevel;
        values[i++] = e.CacheEntryId;
        values[i++] = e.CacheSimilarity;
        values[i++] = Money.ToNanoUsd(e.CacheAvoidedCost);
        values[i++] = e.BatchId;
        values[i++] = e.CacheWriteTokens;
        values[i++] = e.ShadowModel;
        values[i++] = e.ShadowTier;
        values[i++] = e.ShadowDecision;
        values[i++] = e.Explored;
        values[i++] = e.Propensity;
        values[i++] = Money.ToNanoUsd(e.ColdCacheCost);
        values[i++] = e.EndUser;
        values[i++] = e.Team;
        values[i] = e.Answer;
    }
}

/// <summary>
/// One connection for the life of the writer, WAL mode, a prepared insert. The commit never checkpoints: SQLite would
/// otherwise copy the WAL into the database file (with two fsyncs) inside whichever commit crosses its threshold, and
/// every request waiting on that batch would wait for it too. A second connection checkpoints in the background
/// instead, one checkpoint at a time, once enough rows have been committed since the last one.
/// </summary>
internal sealed class SqliteLedgerBatchWriter : LedgerBatchWriter
{
    /// <summary>Rows committed before the next background checkpoint starts: about what SQLite's own 1,000-page threshold holds.</summary>
    internal const int CheckpointRows = 256;

    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _checkpointConnection;
    private readonly sqlite3_stmt _insert;
    private readonly object?[] _values = new object?[Columns.Length];
    private readonly SemaphoreSlim _writes;
    private Task _checkpoint = Task.CompletedTask;
    private int _rowsSinceCheckpoint;

    /// <param name="writes">Taken around each commit, so the rollups' writes of this process take turns with it (<see cref="CostConsoleDatabase.SqliteWrites"/>).</param>
    public SqliteLedgerBatchWriter(string connectionString, LedgerOptions options, SemaphoreSlim writes)
    {
        _writes = writes;
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        using (var pragma = _connection.CreateCommand())
        {
            // A larger page cache keeps the ledger's index pages in memory as the table grows (SQLite's default is 2 MB).
            pragma.CommandText = $"PRAGMA journal_mode=WAL; PRAGMA synchronous={Sanitize(options.Synchronous)}; PRAGMA busy_timeout=10000; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-16384;";
            pragma.ExecuteNonQuery();
        }

        _checkpointConnection = new SqliteConnection(connectionString);
        _checkpointConnection.Open();
        using (var pragma = _checkpointConnection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA busy_timeout=10000;";
            pragma.ExecuteNonQuery();
        }

        // Prepared once on the connection's own handle and bound by position: binding by name (what SqliteCommand does for
        // every execution) looks each of the 53 names up among the statement's parameters, which cost more CPU per row than
        // SQLite's insert into the table itself.
        var sql = $"INSERT INTO RequestLog ({string.Join(", ", Columns.Select(c => c.Name))}) VALUES ({string.Join(", ", Columns.Select((_, i) => "?" + (i + 1)))})";
        var rc = raw.sqlite3_prepare_v2(_connection.Handle, sql, out _insert);
        SqliteException.ThrowExceptionForRC(rc, _connection.Handle);
    }

    /// <summary>Background checkpoints started so far.</summary>
    internal int Checkpoints { get; private set; }

    public override Task WriteAsync(IReadOnlyList<LedgerEntry> batch)
    {
        _writes.Wait();
        try
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var entry in batch)
            {
                Fill(_values, entry);
                Insert();
            }

            transaction.Commit();
        }
        finally
        {
            _writes.Release();
        }

        _rowsSinceCheckpoint += batch.Count;
        if (_rowsSinceCheckpoint >= CheckpointRows && _checkpoint.IsCompleted)
        {
            _rowsSinceCheckpoint = 0;
            Checkpoints++;
            _checkpoint = Task.Run(Checkpoint);
        }

        return Task.CompletedTask;
    }

    public override bool IsRowRejected(Exception exception) => exception is SqliteException { SqliteErrorCode: 19 };

    public override async ValueTask DisposeAsync()
    {
        await _checkpoint.ConfigureAwait(false);
        Checkpoint();
        _insert.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _checkpointConnection.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Binds <see cref="_values"/> by position, as <c>SqliteCommand</c> would convert them, and runs the insert once.</summary>
    private void Insert()
    {
        var db = _connection.Handle;
        for (var i = 0; i < _values.Length; i++)
        {
            var index = i + 1;
            var rc = _values[i] switch
            {
                null => raw.sqlite3_bind_null(_insert, index),
                string text => raw.sqlite3_bind_text(_insert, index, text),
                long number => raw.sqlite3_bind_int64(_insert, index, number),
                int number => raw.sqlite3_bind_int64(_insert, index, number),
                bool flag => raw.sqlite3_bind_int64(_insert, index, flag ? 1 : 0),
                double real => raw.sqlite3_bind_double(_insert, index, real),
                var other => throw new InvalidOperationException($"The ledger column {Columns[i].Name} has no SQLite binding for {other.GetType().Name}."),
            };
            SqliteException.ThrowExceptionForRC(rc, db);
        }

        var step = raw.sqlite3_step(_insert);
        raw.sqlite3_reset(_insert);
        if (step != raw.SQLITE_DONE)
        {
            // A refused row (a constraint, code 19) or a store error: the caller's transaction rolls the batch back.
            SqliteException.ThrowExceptionForRC(step, db);
        }
    }

    /// <summary>
    /// A passive checkpoint copies what no reader still needs and never blocks the writer; a failed one is retried by
    /// the next (the rows are already durable in the WAL).
    /// </summary>
    private void Checkpoint()
    {
        try
        {
            using var command = _checkpointConnection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
            command.ExecuteNonQuery();
        }
        catch (SqliteException)
        {
        }
    }

    private static string Sanitize(string mode) => mode.ToUpperInvariant() switch
    {
        "FULL" => "FULL",
        "EXTRA" => "EXTRA",
        _ => "NORMAL",
    };
}

/// <summary>
/// A pooled connection per batch (so a restarted server costs one failed batch, not the writer), the rows by binary
/// COPY or one round trip of INSERTs, and the batch's rollup and spend-total increments in the same transaction: the
/// dashboard's figures are committed with the rows they count, whichever instance wrote them.
/// </summary>
internal sealed class PostgreSqlLedgerBatchWriter(CostConsoleDatabase database, LedgerOptions options) : LedgerBatchWriter
{
    private static readonly string CopyCommand =
        $"COPY \"RequestLog\" ({string.Join(", ", Columns.Select(c => $"\"{c.Name}\""))}) FROM STDIN (FORMAT BINARY)";

    private static readonly string InsertCommand =
        $"INSERT INTO \"RequestLog\" ({string.Join(", ", Columns.Select(c => $"\"{c.Name}\""))}) VALUES ({string.Join(", ", Columns.Select((_, i) => "$" + (i + 1)))})";

    private readonly object?[] _values = new object?[Columns.Length];
    private readonly List<RollupSample> _samples = [];

    public override async Task WriteAsync(IReadOnlyList<LedgerEntry> batch)
    {
        await using var connection = (NpgsqlConnection)await database.OpenAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        if (options.PostgreSqlWrite == PostgreSqlLedgerWrite.Copy)
        {
            await CopyAsync(connection, batch).ConfigureAwait(false);
        }
        else
        {
            await InsertAsync(connection, transaction, batch).ConfigureAwait(false);
        }

        _samples.Clear();
        foreach (var entry in batch)
        {
            _samples.Add(RollupSample.From(entry));
        }

        await PostgreSqlRollups.AddAsync(connection, transaction, _samples).ConfigureAwait(false);
        await SpendTotals.AddAsync(connection, transaction, batch).ConfigureAwait(false);
        await transaction.CommitAsync().ConfigureAwait(false);
    }

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Class 23: integrity constraint violations (a unique key, a not-null column, a check).</summary>
    public override bool IsRowRejected(Exception exception) => exception is PostgresException { SqlState: [ '2', '3', .. ] };

    private async Task CopyAsync(NpgsqlConnection connection, IReadOnlyList<LedgerEntry> batch)
    {
        await using var importer = await connection.BeginBinaryImportAsync(CopyCommand).ConfigureAwait(false);
        foreach (var entry in batch)
        {
            Fill(_values, entry);
            await importer.StartRowAsync().ConfigureAwait(false);
            for (var i = 0; i < _values.Length; i++)
            {
                if (_values[i] is { } value)
                {
                    await importer.WriteAsync(value, Columns[i].Type).ConfigureAwait(false);
                }
                else
                {
                    await importer.WriteNullAsync().ConfigureAwait(false);
                }
            }
        }

        await importer.CompleteAsync().ConfigureAwait(false);
    }

    private async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<LedgerEntry> batch)
    {
        await using var insert = new NpgsqlBatch(connection, transaction);
        foreach (var entry in batch)
        {
            Fill(_values, entry);
            var command = new NpgsqlBatchCommand(InsertCommand);
            for (var i = 0; i < _values.Length; i++)
            {
                command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = Columns[i].Type, Value = _values[i] ?? DBNull.Value });
            }

            insert.BatchCommands.Add(command);
        }

        await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
    }
}
