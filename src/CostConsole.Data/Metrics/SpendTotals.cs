using System.Data.Common;
using CostConsole.Data.Database;
using CostConsole.Routing.Pipeline;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace CostConsole.Data.Metrics;

/// <summary>
/// Keeps each end user's and each conversation's running spend (<see cref="Entities.SpendTotalRow"/>) up to date with the
/// ledger, the way the rollups are kept: SQLite folds the rows committed since the last fold (<see cref="FoldAsync"/>,
/// from the rollups' background loop), so the ledger writer does no more per row; PostgreSQL adds each batch's
/// increments in the batch's own transaction under the rollup lock (<see cref="AddAsync"/>). A total is never below what
/// the group spent in any range: erasing an end user or a conversation recounts its totals (<see cref="RecountAsync"/>);
/// a retention purge leaves them as they were, higher than what is left in the ledger, which keeps them upper bounds.
/// </summary>
public static class SpendTotals
{
    public const string EndUserWalk = "IX_EndUserSpend_Walk";

    public const string ConversationWalk = "IX_ConversationSpend_Walk";

    /// <summary>The totals' tables and the ledger column each sums by.</summary>
    public static IReadOnlyList<(string Table, string Column)> Groups { get; } = [("EndUserSpend", "EndUser"), ("ConversationSpend", "ConversationId")];

    /// <summary>The ledger id through which SQLite's totals are folded; rows after it are counted by reading the ledger.</summary>
    public static async Task<long> MarkAsync(DbConnection connection, DbTransaction? transaction = null, CancellationToken cancellationToken = default)
    {
        await using var command = connection.Command("SELECT \"LedgerId\" FROM \"SpendTotalsMark\" WHERE \"Id\" = 1", transaction);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long mark ? mark : 0;
    }

    /// <summary>
    /// SQLite: adds the ledger rows committed since the last fold to the totals. The rows are grouped in a read of their
    /// own; only the totals' writes and the new mark take <paramref name="writes"/> and SQLite's write lock, so the ledger's
    /// commits never wait for the grouping (tens of milliseconds for a few thousand rows).
    /// </summary>
    public static async Task FoldAsync(DbConnection connection, SemaphoreSlim writes, CancellationToken cancellationToken = default)
    {
        long mark, high;
        var sums = new List<(string Table, List<(string Name, long Requests, long Cost, long Baseline, long First, long Last)> Rows)>();
        await using (var read = ((SqliteConnection)connection).BeginTransaction(deferred: true))
        {
            mark = await MarkAsync(connection, read, cancellationToken).ConfigureAwait(false);
            high = await HighAsync(connection, read, cancellationToken).ConfigureAwait(false);
            if (high <= mark)
            {
                return;
            }

            foreach (var (table, column) in Groups)
            {
                var rows = new List<(string Name, long Requests, long Cost, long Baseline, long First, long Last)>();
                await using var group = connection.Command(Grouped(column, "\"Id\" > @from AND \"Id\" <= @to", "NOT INDEXED"), read).With("from", mark).With("to", high);
                await using var reader = await group.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    rows.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
                }

                sums.Add((table, rows));
            }
        }

        await writes.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            if (await MarkAsync(connection, transaction, cancellationToken).ConfigureAwait(false) != mark)
            {
                // The totals were rebuilt or folded meanwhile; the next fold starts from their mark.
                return;
            }

            foreach (var (table, rows) in sums)
            {
                foreach (var chunk in rows.Chunk(100))
                {
                    var values = string.Join(", ", chunk.Select((_, i) => $"(@n{i}, @r{i}, @c{i}, @b{i}, @f{i}, @l{i})"));
                    await using var upsert = connection.Command(Upsert(table, postgreSql: false, "VALUES " + values), transaction);
                    for (var i = 0; i < chunk.Length; i++)
                    {
                        var sum = chunk[i];
                        upsert.With("n" + i, sum.Name).With("r" + i, sum.Requests).With("c" + i, sum.Cost)
                            .With("b" + i, sum.Baseline).With("f" + i, sum.First).With("l" + i, sum.Last);
                    }

                    await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await SetMarkAsync(connection, transaction, high, cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            writes.Release();
        }
    }

    /// <summary>PostgreSQL: adds a batch's increments, inside the batch's transaction, after the rollups took their lock.</summary>
    public static async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<LedgerEntry> batch)
    {
        await using var write = new NpgsqlBatch(connection, transaction);
        foreach (var ((table, _), name) in Groups.Zip(new Func<LedgerEntry, string?>[] { e => e.EndUser, e => e.ConversationId }))
        {
            var sums = new SortedDictionary<string, (long Requests, long Cost, long Baseline, long First, long Last)>(StringComparer.Ordinal);
            foreach (var entry in batch)
            {
                if (name(entry) is not { } key)
                {
                    continue;
                }

                var at = entry.Timestamp.ToUnixTimeMilliseconds();
                var s = sums.GetValueOrDefault(key, (0, 0, 0, at, at));
                sums[key] = (s.Requests + 1, s.Cost + Money.ToNanoUsd(entry.Cost), s.Baseline + Money.ToNanoUsd(entry.BaselineCost), Math.Min(s.First, at), Math.Max(s.Last, at));
            }

            if (sums.Count == 0)
            {
                continue;
            }

            var command = new NpgsqlBatchCommand(Upsert(table, postgreSql: true, "SELECT * FROM unnest($1, $2, $3, $4, $5, $6)"));
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = sums.Keys.ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = sums.Values.Select(s => s.Requests).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = sums.Values.Select(s => s.Cost).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = sums.Values.Select(s => s.Baseline).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = sums.Values.Select(s => s.First).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = sums.Values.Select(s => s.Last).ToArray() });
            write.BatchCommands.Add(command);
        }

        if (write.BatchCommands.Count > 0)
        {
            await write.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Recomputes every total from the ledger in one transaction: on PostgreSQL under the rollup lock, so no batch adds
    /// to them meanwhile; on SQLite through the last committed row, which becomes the fold mark.
    /// </summary>
    public static async Task RebuildAsync(DbConnection connection, bool postgreSql, CancellationToken cancellationToken = default)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var high = postgreSql ? long.MaxValue : await HighAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        if (postgreSql)
        {
            await LockAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }

        foreach (var (table, column) in Groups)
        {
            await using (var delete = connection.Command($"DELETE FROM \"{table}\"", transaction))
            {
                await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }

            await using var insert = connection.Command($"INSERT INTO \"{table}\" ({Columns}) {Grouped(column, "\"Id\" <= @to")}", transaction).With("to", high);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await SetMarkAsync(connection, transaction, postgreSql ? await HighAsync(connection, transaction, cancellationToken).ConfigureAwait(false) : high, cancellationToken)
            .ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Recomputes the totals of these end users and conversations from the ledger (after an erasure took their name off
    /// rows); a group left with no rows loses its total, name and all.
    /// </summary>
    public static async Task RecountAsync(
        DbConnection connection, bool postgreSql, IReadOnlyCollection<string> endUsers, IReadOnlyCollection<string> conversations, CancellationToken cancellationToken = default)
    {
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        if (postgreSql)
        {
            await LockAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        }

        // SQLite's totals hold the rows through the mark; later ones are added by the next fold.
        var high = postgreSql ? long.MaxValue : await MarkAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        foreach (var ((table, column), names) in Groups.Zip(new[] { endUsers, conversations }))
        {
            foreach (var chunk in names.Distinct(StringComparer.Ordinal).Chunk(500))
            {
                var list = string.Join(", ", chunk.Select((_, i) => "@n" + i));
                await using (var delete = connection.Command($"DELETE FROM \"{table}\" WHERE \"Name\" IN ({list})", transaction))
                {
                    Name(delete, chunk);
                    await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await using var insert = connection.Command(
                    $"INSERT INTO \"{table}\" ({Columns}) {Grouped(column, $"\"Id\" <= @to AND \"{column}\" IN ({list})")}", transaction).With("to", high);
                Name(insert, chunk);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private const string Columns = "\"Name\", \"Requests\", \"CostNanoUsd\", \"BaselineCostNanoUsd\", \"First\", \"Last\"";

    private static void Name(DbCommand command, string[] names)
    {
        for (var i = 0; i < names.Length; i++)
        {
            command.With("n" + i, names[i]);
        }
    }

    /// <param name="hint">SQLite's <c>NOT INDEXED</c> for an id range: it would rather scan the whole group index for the non-null values.</param>
    private static string Grouped(string column, string where, string hint = "") => $"""
        SELECT "{column}", COUNT(*), SUM("CostNanoUsd"), SUM("BaselineCostNanoUsd"), MIN("Timestamp"), MAX("Timestamp")
        FROM "RequestLog" {hint} WHERE {where} AND "{column}" IS NOT NULL
        GROUP BY "{column}"
        """;

    private static string Upsert(string table, bool postgreSql, string rows)
    {
        var (least, greatest) = postgreSql ? ("LEAST", "GREATEST") : ("MIN", "MAX");
        return $"""
            INSERT INTO "{table}" ({Columns}) {rows}
            ON CONFLICT ("Name") DO UPDATE SET
              "Requests" = "{table}"."Requests" + excluded."Requests",
              "CostNanoUsd" = "{table}"."CostNanoUsd" + excluded."CostNanoUsd",
              "BaselineCostNanoUsd" = "{table}"."BaselineCostNanoUsd" + excluded."BaselineCostNanoUsd",
              "First" = {least}("{table}"."First", excluded."First"),
              "Last" = {greatest}("{table}"."Last", excluded."Last")
            """;
    }

    private static async Task<long> HighAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT COALESCE(MAX(\"Id\"), 0) FROM \"RequestLog\"", transaction);
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task SetMarkAsync(DbConnection connection, DbTransaction transaction, long high, CancellationToken cancellationToken)
    {
        await using var command = connection.Command(
            "INSERT INTO \"SpendTotalsMark\" (\"Id\", \"LedgerId\") VALUES (1, @high) ON CONFLICT (\"Id\") DO UPDATE SET \"LedgerId\" = excluded.\"LedgerId\"", transaction)
            .With("high", high);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task LockAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = connection.Command("SELECT pg_advisory_xact_lock(@key)", transaction).With("key", PostgreSqlRollups.LockKey);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
