using CostConsole.Data.Entities;
using Npgsql;
using NpgsqlTypes;

namespace CostConsole.Data.Metrics;

/// <summary>
/// Rollups on PostgreSQL, where several instances write the ledger: each ledger batch adds its increments to the
/// rollup cells it touches inside its own transaction, under one advisory lock that every writer takes, so the
/// rollups are always the sums of the committed ledger rows, with no double counting and no gap.
/// </summary>
internal static class PostgreSqlRollups
{
    /// <summary>The advisory lock every rollup writer of a database takes ("CCRollup").</summary>
    public const long LockKey = 0x4343526F6C6C7570;

    /// <remarks>Two round trips: the lock and the touched cells' current values, then every update and insert.</remarks>
    public static async Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<RollupSample> samples)
    {
        var minutes = new RollupGrid(RollupGrid.MinuteMs);
        var hours = new RollupGrid(RollupGrid.HourMs);
        foreach (var sample in samples)
        {
            minutes.Add(sample);
            hours.Add(sample);
        }

        var grids = new[] { ("MinuteRollups", Cells(minutes)), ("HourRollups", Cells(hours)) };
        var existing = new[] { new Dictionary<RollupKey, (long Id, RollupRow Row)>(), new Dictionary<RollupKey, (long Id, RollupRow Row)>() };
        await using (var read = new NpgsqlBatch(connection, transaction))
        {
            read.BatchCommands.Add(Lock());
            foreach (var (table, cells) in grids)
            {
                read.BatchCommands.Add(Select(table, cells));
            }

            await using var reader = await read.ExecuteReaderAsync().ConfigureAwait(false);
            for (var g = 0; g < grids.Length; g++)
            {
                await reader.NextResultAsync().ConfigureAwait(false);
                while (await reader.ReadAsync().ConfigureAwait(false))
                {
                    var row = RollupWriter.Read<MinuteRollupRow>(reader, 1);
                    existing[g][RollupKey.Of(row)] = (reader.GetInt64(0), row);
                }
            }
        }

        await using var write = new NpgsqlBatch(connection, transaction);
        for (var g = 0; g < grids.Length; g++)
        {
            var (table, cells) = grids[g];
            foreach (var (key, delta) in cells)
            {
                if (existing[g].TryGetValue(key, out var found))
                {
                    var merged = new RollupCell();
                    merged.Add(found.Row);
                    merged.Add(delta.ToRow<MinuteRollupRow>(key));
                    write.BatchCommands.Add(Update(table, found.Id, merged.ToRow<MinuteRollupRow>(key)));
                }
                else
                {
                    write.BatchCommands.Add(Insert(table, delta.ToRow<MinuteRollupRow>(key)));
                }
            }
        }

        await write.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until no other writer is adding to rollups; held until the transaction ends.</summary>
    public static async Task LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        await using var batch = new NpgsqlBatch(connection, transaction) { BatchCommands = { Lock() } };
        await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
    }

    /// <summary>Inserts cells as rows of <paramref name="table"/> (which holds none of them yet).</summary>
    public static async Task<int> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string table, RollupGrid grid)
    {
        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var (_, cells) in grid.Periods)
        {
            foreach (var (key, cell) in cells)
            {
                batch.BatchCommands.Add(Insert(table, cell.ToRow<MinuteRollupRow>(key)));
            }
        }

        if (batch.BatchCommands.Count > 0)
        {
            await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        return batch.BatchCommands.Count;
    }

    private static List<KeyValuePair<RollupKey, RollupCell>> Cells(RollupGrid grid) => [.. grid.Periods.SelectMany(p => p.Value)];

    private static NpgsqlBatchCommand Lock()
    {
        var command = new NpgsqlBatchCommand("SELECT pg_advisory_xact_lock($1)");
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = LockKey });
        return command;
    }

    /// <summary>The stored rows of exactly these cells (a key column may be null, which equals null here).</summary>
    private static NpgsqlBatchCommand Select(string table, List<KeyValuePair<RollupKey, RollupCell>> cells)
    {
        var command = new NpgsqlBatchCommand(
            $"""
            SELECT r."Id", {string.Join(", ", RollupWriter.Columns.Select(c => "r.\"" + c + "\""))}
            FROM "{table}" r
            JOIN unnest($1, $2, $3, $4, $5, $6, $7) AS k(s, t, m, a, u, x, g)
              ON r."Start" = k.s AND r."Tier" IS NOT DISTINCT FROM k.t AND r."Model" IS NOT DISTINCT FROM k.m
             AND r."ApiKeyId" IS NOT DISTINCT FROM k.a AND r."Rule" IS NOT DISTINCT FROM k.u AND r."Arm" IS NOT DISTINCT FROM k.x
             AND r."Team" IS NOT DISTINCT FROM k.g
            """);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = cells.Select(d => d.Key.Start).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = cells.Select(d => d.Key.Tier).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = cells.Select(d => d.Key.Model).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = cells.Select(d => d.Key.ApiKeyId).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = cells.Select(d => d.Key.Rule).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = cells.Select(d => d.Key.Arm).ToArray() });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = cells.Select(d => d.Key.Team).ToArray() });
        return command;
    }

    private static NpgsqlBatchCommand Insert(string table, RollupRow row)
    {
        var command = new NpgsqlBatchCommand(
            $"INSERT INTO \"{table}\" ({string.Join(", ", RollupWriter.Columns.Select(c => "\"" + c + "\""))}) VALUES ({string.Join(", ", RollupWriter.Columns.Select((_, i) => "$" + (i + 1)))})");
        AddValues(command.Parameters, row);
        return command;
    }

    private static NpgsqlBatchCommand Update(string table, long id, RollupRow row)
    {
        var command = new NpgsqlBatchCommand(
            $"UPDATE \"{table}\" SET {string.Join(", ", RollupWriter.Columns.Select((c, i) => $"\"{c}\" = ${i + 1}"))} WHERE \"Id\" = ${RollupWriter.Columns.Length + 1}");
        AddValues(command.Parameters, row);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Bigint, Value = id });
        return command;
    }

    private static NpgsqlDbType TypeOf(string column) => column switch
    {
        "Tier" or "Model" or "Rule" or "Arm" or "Team" => NpgsqlDbType.Text,
        "LatencySumMs" => NpgsqlDbType.Double,
        "LatencyHistogram" => NpgsqlDbType.Bytea,
        _ => NpgsqlDbType.Bigint,
    };

    private static void AddValues(NpgsqlParameterCollection parameters, RollupRow row)
    {
        var values = RollupWriter.Values(row);
        for (var i = 0; i < values.Length; i++)
        {
            parameters.Add(new NpgsqlParameter { Value = values[i] ?? DBNull.Value, NpgsqlDbType = TypeOf(RollupWriter.Columns[i]) });
        }
    }
}
