using System.Data.Common;
using System.Diagnostics;
using CostConsole.Data.Database;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;
using Npgsql;

namespace CostConsole.Data.Metrics;

/// <summary>The outcome of rebuilding rollups from the ledger.</summary>
public sealed record RollupRebuild(long LedgerRows, long MinuteRows, long HourRows, DateTimeOffset From, TimeSpan Took);

/// <summary>
/// Keeps the minute and hour rollups up to date as the ledger is written. The ledger writer hands over each
/// committed batch (<see cref="Observe"/>, a list append under a short lock); a background loop folds them into
/// the periods they belong to and writes the touched periods whole every <c>flushInterval</c>, so history never
/// reads the ledger. A period not in memory is read back from its rows before it is added to, so late requests
/// and restarts add up instead of overwriting. <see cref="RebuildAsync"/> recomputes rollups from the ledger.
/// </summary>
public sealed class RollupStore : IAsyncDisposable
{
    /// <summary>How long after its start a request can still land in the ledger (timeouts × fallbacks), for catching up.</summary>
    public static readonly TimeSpan LateArrival = TimeSpan.FromMinutes(10);

    private readonly CostConsoleDatabase _database;
    private readonly TimeProvider _time;
    private readonly TimeSpan _flushInterval;
    private readonly Lock _observeLock = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly RollupGrid _minutes = new(RollupGrid.MinuteMs);
    private readonly RollupGrid _hours = new(RollupGrid.HourMs);
    private readonly HashSet<long> _dirtyMinutes = [];
    private readonly HashSet<long> _dirtyHours = [];
    private readonly CancellationTokenSource _stopping = new();
    private List<RollupSample> _pending = [];
    private Task? _loop;
    private int _disposed;

    public RollupStore(CostConsoleDatabase database, TimeProvider time, TimeSpan flushInterval)
    {
        _database = database;
        _time = time;
        _flushInterval = flushInterval;
    }

    /// <summary>When the last flush finished (UTC), or null before the first.</summary>
    public DateTimeOffset? LastFlush { get; private set; }

    /// <summary>Ledger batches go here, on the ledger writer's loop: only an append.</summary>
    public void Observe(IReadOnlyList<LedgerEntry> entries)
    {
        if (_database.IsPostgreSql)
        {
            // The ledger writer committed this batch's rollup increments with its rows.
            LastFlush = _time.GetUtcNow();
            return;
        }

        lock (_observeLock)
        {
            foreach (var entry in entries)
            {
                _pending.Add(RollupSample.From(entry));
            }
        }
    }

    public void Start()
    {
        if (!_database.IsPostgreSql)
        {
            _loop ??= Task.Run(RunAsync);
        }
    }

    /// <summary>Folds in everything observed so far and writes it.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>At start: recompute the periods a crash may have left short (from the last flushed minute, less the late-arrival margin).</summary>
    public async Task<RollupRebuild> CatchUpAsync(CancellationToken cancellationToken = default)
    {
        if (_database.IsPostgreSql)
        {
            // Rollups on PostgreSQL are committed with the ledger rows they count: a crash leaves nothing short.
            return new RollupRebuild(0, 0, 0, _time.GetUtcNow(), TimeSpan.Zero);
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT MAX(\"Start\") FROM \"MinuteRollups\"";
        var last = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        var from = last is long start ? DateTimeOffset.FromUnixTimeMilliseconds(start) - LateArrival : DateTimeOffset.UnixEpoch;
        return await RebuildRollupsAsync(from, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Recomputes every rollup from <paramref name="from"/> (floored to the hour) from the ledger, while traffic goes on:
    /// rows committed during the rebuild are counted once, either by the rebuild or by the live path.
    /// </summary>
    /// <remarks>The end users' and conversations' spend totals, which have no periods, are recomputed whole.</remarks>
    public async Task<RollupRebuild> RebuildAsync(DateTimeOffset from, CancellationToken cancellationToken = default)
    {
        var rebuild = await RebuildRollupsAsync(from, cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await SpendTotals.RebuildAsync(connection, _database.IsPostgreSql, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        return rebuild;
    }

    private async Task<RollupRebuild> RebuildRollupsAsync(DateTimeOffset from, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var fromMs = RollupGrid.Floor(Math.Max(0, from.ToUnixTimeMilliseconds()), RollupGrid.HourMs);
        if (_database.IsPostgreSql)
        {
            return await RebuildPostgreSqlAsync(fromMs, started, cancellationToken).ConfigureAwait(false);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await FlushLockedAsync(cancellationToken).ConfigureAwait(false);
            _minutes.Periods.Clear();
            _hours.Periods.Clear();

            await using var reader = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var writer = await OpenAsync(cancellationToken).ConfigureAwait(false);
            long high;
            lock (_observeLock)
            {
                using var max = reader.CreateCommand();
                max.CommandText = "SELECT COALESCE(MAX(\"Id\"), 0) FROM \"RequestLog\"";
                high = (long)max.ExecuteScalar()!;
            }

            var (rows, minuteRows, hourRows) = await RecomputeAsync(reader, writer, _database.SqliteWrites, fromMs, high, cancellationToken).ConfigureAwait(false);

            // Rows committed after the rebuild's snapshot are still pending here; rows it counted must not be counted twice.
            var later = new HashSet<string>(StringComparer.Ordinal);
            lock (_observeLock)
            {
                using var ids = reader.CreateCommand();
                ids.CommandText = "SELECT \"RequestId\" FROM \"RequestLog\" WHERE \"Id\" > @high";
                ids.With("high", high);
                using (var r = ids.ExecuteReader())
                {
                    while (r.Read())
                    {
                        later.Add(r.GetString(0));
                    }
                }

                _pending.RemoveAll(s => s.TimestampMs >= fromMs && !later.Contains(s.RequestId));
            }

            return new RollupRebuild(rows, minuteRows, hourRows, DateTimeOffset.FromUnixTimeMilliseconds(fromMs), Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Both the host's shutdown and the container dispose the store; the second call has nothing left to do.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        // Whatever was observed before shutdown is written.
        await FlushAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(_flushInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                try
                {
                    await FlushAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (DbException)
                {
                    // The database was busy or unavailable; what is pending stays pending for the next flush.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    private async Task FlushLockedAsync(CancellationToken cancellationToken)
    {
        if (_database.IsPostgreSql)
        {
            // The ledger writer commits rollups and spend totals with its rows.
            return;
        }

        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);

        // The end users' and conversations' totals take the committed ledger rows themselves, observed or not.
        await SpendTotals.FoldAsync(connection, _database.SqliteWrites, cancellationToken).ConfigureAwait(false);

        List<RollupSample> batch;
        lock (_observeLock)
        {
            batch = _pending;
            _pending = [];
        }

        if (batch.Count == 0 && _dirtyMinutes.Count == 0)
        {
            return;
        }

        var folded = 0;
        try
        {
            foreach (var sample in batch)
            {
                var minute = _minutes.StartOf(sample.TimestampMs);
                var hour = _hours.StartOf(sample.TimestampMs);
                if (!_minutes.Periods.ContainsKey(minute))
                {
                    Load(connection, "MinuteRollups", _minutes, minute);
                }

                if (!_hours.Periods.ContainsKey(hour))
                {
                    Load(connection, "HourRollups", _hours, hour);
                }

                _minutes.Add(sample);
                _hours.Add(sample);
                _dirtyMinutes.Add(minute);
                _dirtyHours.Add(hour);
                folded++;
            }

            await _database.SqliteWrites.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                using var transaction = connection.BeginTransaction();
                using var insertMinute = RollupWriter.CreateInsert(connection, transaction, "MinuteRollups");
                using var insertHour = RollupWriter.CreateInsert(connection, transaction, "HourRollups");
                foreach (var minute in _dirtyMinutes)
                {
                    RollupWriter.Replace(connection, transaction, insertMinute, "MinuteRollups", minute, minute + RollupGrid.MinuteMs, _minutes.Periods[minute]);
                }

                foreach (var hour in _dirtyHours)
                {
                    RollupWriter.Replace(connection, transaction, insertHour, "HourRollups", hour, hour + RollupGrid.HourMs, _hours.Periods[hour]);
                }

                transaction.Commit();
            }
            finally
            {
                _database.SqliteWrites.Release();
            }
        }
        catch
        {
            // Samples not folded in yet go back; folded ones stay in the dirty periods for the next try.
            lock (_observeLock)
            {
                _pending.InsertRange(0, batch.Skip(folded));
            }

            throw;
        }

        _dirtyMinutes.Clear();
        _dirtyHours.Clear();
        LastFlush = _time.GetUtcNow();
        Evict();
    }

    /// <summary>Written periods well in the past leave memory; a late request reads them back first.</summary>
    private void Evict()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var oldMinute = now - (long)LateArrival.TotalMilliseconds;
        foreach (var start in _minutes.Periods.Keys.Where(s => s < oldMinute).ToList())
        {
            _minutes.Periods.Remove(start);
        }

        var oldHour = _hours.StartOf(now) - RollupGrid.HourMs;
        foreach (var start in _hours.Periods.Keys.Where(s => s < oldHour).ToList())
        {
            _hours.Periods.Remove(start);
        }
    }

    private static void Load(DbConnection connection, string table, RollupGrid grid, long start)
    {
        var cells = grid.Period(start);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {RollupWriter.SelectColumns} FROM \"{table}\" WHERE \"Start\" = @start";
        command.With("start", start);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = RollupWriter.Read<MinuteRollupRow>(reader);
            var key = RollupKey.Of(row);
            if (!cells.TryGetValue(key, out var cell))
            {
                cell = new RollupCell();
                cells[key] = cell;
            }

            cell.Add(row);
        }
    }

    /// <summary>Streams the ledger in time order and writes each hour (its minutes and itself) as soon as it is complete.</summary>
    private static async Task<(long Rows, long MinuteRows, long HourRows)> RecomputeAsync(
        DbConnection reader, DbConnection writer, SemaphoreSlim writes, long fromMs, long highId, CancellationToken cancellationToken)
    {
        var minutes = new RollupGrid(RollupGrid.MinuteMs);
        var hours = new RollupGrid(RollupGrid.HourMs);
        long rows = 0, minuteRows = 0, hourRows = 0;
        var cursor = fromMs;
        long? currentHour = null;

        void WriteThrough(long end)
        {
            writes.Wait(cancellationToken);
            try
            {
                WriteHour(end);
            }
            finally
            {
                writes.Release();
            }
        }

        void WriteHour(long end)
        {
            using var transaction = writer.BeginTransaction();
            using var insertMinute = RollupWriter.CreateInsert(writer, transaction, "MinuteRollups");
            using var insertHour = RollupWriter.CreateInsert(writer, transaction, "HourRollups");
            RollupWriter.Delete(writer, transaction, "MinuteRollups", cursor, end);
            RollupWriter.Delete(writer, transaction, "HourRollups", cursor, end);
            foreach (var (_, cells) in minutes.Periods)
            {
                minuteRows += RollupWriter.Insert(insertMinute, cells);
            }

            foreach (var (_, cells) in hours.Periods)
            {
                hourRows += RollupWriter.Insert(insertHour, cells);
            }

            transaction.Commit();
            minutes.Periods.Clear();
            hours.Periods.Clear();
            cursor = end;
        }

        using (var command = reader.CreateCommand())
        {
            command.CommandText = SampleSelect + """ WHERE "Timestamp" >= @from AND "Id" <= @high ORDER BY "Timestamp" """;
            command.With("from", fromMs);
            command.With("high", highId);
            using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (r.Read())
            {
                var sample = ReadSample(r);
                var hour = hours.StartOf(sample.TimestampMs);
                if (currentHour is { } open && hour != open)
                {
                    WriteThrough(open + RollupGrid.HourMs);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                currentHour = hour;
                minutes.Add(sample);
                hours.Add(sample);
                rows++;
            }
        }

        WriteThrough(long.MaxValue);
        return (rows, minuteRows, hourRows);
    }

    private async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _database.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (!_database.IsPostgreSql)
        {
            // The rollups and spend totals are rebuilt from the ledger after a crash (CatchUpAsync, the fold's mark), so their
            // commits skip the fsync SQLite's default makes of each one: the ledger's next commit waited for it behind SQLite's
            // write lock, 10 ms and more on an ordinary disk, every flush.
            await using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous=NORMAL;";
            await pragma.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return connection;
    }

    private const string SampleSelect = """
        SELECT "RequestId", "Timestamp", "Tier", "Model", "ApiKeyId", "Rule", "Status", "Fallbacks", "PromptTokens", "CachedTokens",
               "CompletionTokens", "CostNanoUsd", "BaselineCostNanoUsd", "LatencyMs", "Arm", "Escalations", "EscalationCostNanoUsd",
               "Team", "CacheWriteTokens"
        FROM "RequestLog"
        """;

    private static RollupSample ReadSample(DbDataReader r) => new(
        r.GetString(0),
        r.GetInt64(1),
        r.IsDBNull(2) ? null : r.GetString(2),
        r.IsDBNull(3) ? null : r.GetString(3),
        r.IsDBNull(4) ? null : r.GetInt64(4),
        r.IsDBNull(5) ? null : r.GetString(5),
        r.IsDBNull(14) ? null : r.GetString(14),
        (LedgerStatus)r.GetInt32(6),
        r.GetInt32(7),
        r.GetInt32(15),
        r.GetInt64(8),
        r.GetInt64(9),
        r.GetInt64(10),
        r.GetInt64(11),
        r.GetInt64(12),
        r.GetDouble(13),
        r.GetInt64(16),
        r.IsDBNull(17) ? null : r.GetString(17),
        r.GetInt64(18));

    /// <summary>
    /// PostgreSQL: a day at a time, each in a transaction holding the rollup lock that every ledger writer takes, so
    /// no batch adds to a day while it is recomputed and every committed row is counted exactly once.
    /// </summary>
    private async Task<RollupRebuild> RebuildPostgreSqlAsync(long fromMs, long started, CancellationToken cancellationToken)
    {
        const long Day = 24 * RollupGrid.HourMs;
        await using var connection = (NpgsqlConnection)await OpenAsync(cancellationToken).ConfigureAwait(false);
        long? first, last;
        await using (var range = new NpgsqlCommand("""SELECT MIN("Timestamp"), MAX("Timestamp") FROM "RequestLog" WHERE "Timestamp" >= $1""", connection))
        {
            range.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = fromMs });
            await using var r = await range.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await r.ReadAsync(cancellationToken).ConfigureAwait(false);
            first = r.IsDBNull(0) ? null : r.GetInt64(0);
            last = r.IsDBNull(1) ? null : r.GetInt64(1);
        }

        long rows = 0, minuteRows = 0, hourRows = 0;
        var cursor = fromMs;
        var end = first is { } f ? RollupGrid.Floor(f, RollupGrid.HourMs) + Day : long.MaxValue;
        while (true)
        {
            if (last is not { } l || end > l)
            {
                end = long.MaxValue;
            }

            var minutes = new RollupGrid(RollupGrid.MinuteMs);
            var hours = new RollupGrid(RollupGrid.HourMs);
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                await PostgreSqlRollups.LockAsync(connection, transaction).ConfigureAwait(false);
                await using (var command = new NpgsqlCommand(SampleSelect + """ WHERE "Timestamp" >= $1 AND "Timestamp" < $2""", connection, transaction))
                {
                    command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = cursor });
                    command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint, Value = end });
                    await using var r = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var sample = ReadSample(r);
                        minutes.Add(sample);
                        hours.Add(sample);
                        rows++;
                    }
                }

                RollupWriter.Delete(connection, transaction, "MinuteRollups", cursor, end);
                RollupWriter.Delete(connection, transaction, "HourRollups", cursor, end);
                minuteRows += await PostgreSqlRollups.InsertAsync(connection, transaction, "MinuteRollups", minutes).ConfigureAwait(false);
                hourRows += await PostgreSqlRollups.InsertAsync(connection, transaction, "HourRollups", hours).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (end == long.MaxValue)
            {
                break;
            }

            cursor = end;
            end += Day;
        }

        return new RollupRebuild(rows, minuteRows, hourRows, DateTimeOffset.FromUnixTimeMilliseconds(fromMs), Stopwatch.GetElapsedTime(started));
    }
}
