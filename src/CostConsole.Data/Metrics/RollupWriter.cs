using System.Data.Common;
using CostConsole.Data.Database;
using CostConsole.Data.Entities;

namespace CostConsole.Data.Metrics;

/// <summary>
/// Plain SQL for rollup rows: they are written in bulk, where EF's change tracking would only cost. Identifiers are
/// quoted and parameters named with <c>@</c>, so the same statements run on SQLite and PostgreSQL.
/// </summary>
internal static class RollupWriter
{
    public static readonly string[] Columns =
    [
        "Start", "Tier", "Model", "ApiKeyId", "Rule", "Arm", "Requests", "Answered", "Failed", "Rejected", "FallbackRequests",
        "Fallbacks", "Escalations", "PromptTokens", "CachedTokens", "CompletionTokens", "CostNanoUsd", "BaselineCostNanoUsd",
        "LatencySumMs", "LatencyHistogram", "EscalatedRequests", "EscalationCostNanoUsd", "Team",
        "CacheWriteTokens",
    ];

    public static string SelectColumns { get; } = string.Join(", ", Columns.Select(c => "\"" + c + "\""));

    public static DbCommand CreateInsert(DbConnection connection, DbTransaction transaction, string table)
    {
        var command = connection.Command(
            $"INSERT INTO \"{table}\" ({SelectColumns}) VALUES ({string.Join(", ", Columns.Select(c => "@" + c))})",
            transaction);
        foreach (var column in Columns)
        {
            command.With(column, null);
        }

        return command;
    }

    public static void Delete(DbConnection connection, DbTransaction transaction, string table, long from, long to)
    {
        using var command = connection.Command($"DELETE FROM \"{table}\" WHERE \"Start\" >= @from AND \"Start\" < @to", transaction)
            .With("from", from)
            .With("to", to);
        command.ExecuteNonQuery();
    }

    /// <summary>Writes one period whole: its old rows go, its current cells come in.</summary>
    public static void Replace(DbConnection connection, DbTransaction transaction, DbCommand insert, string table, long start, long end, Dictionary<RollupKey, RollupCell> cells)
    {
        Delete(connection, transaction, table, start, end);
        Insert(insert, cells);
    }

    public static int Insert(DbCommand insert, Dictionary<RollupKey, RollupCell> cells)
    {
        foreach (var (key, cell) in cells)
        {
            var values = Values(cell.ToRow<MinuteRollupRow>(key));
            for (var i = 0; i < values.Length; i++)
            {
                insert.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            insert.ExecuteNonQuery();
        }

        return cells.Count;
    }

    /// <summary>A row's values in the order of <see cref="Columns"/>.</summary>
    public static object?[] Values(RollupRow row) =>
    [
        row.Start, row.Tier, row.Model, row.ApiKeyId, row.Rule, row.Arm, row.Requests, row.Answered, row.Failed, row.Rejected,
        row.FallbackRequests, row.Fallbacks, row.Escalations, row.PromptTokens, row.CachedTokens, row.CompletionTokens,
        row.CostNanoUsd, row.BaselineCostNanoUsd, row.LatencySumMs, row.LatencyHistogram, row.EscalatedRequests, row.EscalationCostNanoUsd, row.Team,
        row.CacheWriteTokens,
    ];

    /// <summary>Reads a row selected with <see cref="SelectColumns"/>, starting at column <paramref name="at"/>.</summary>
    public static T Read<T>(DbDataReader r, int at = 0)
        where T : RollupRow, new() => new()
        {
            Start = r.GetInt64(at),
            Tier = r.IsDBNull(at + 1) ? null : r.GetString(at + 1),
            Model = r.IsDBNull(at + 2) ? null : r.GetString(at + 2),
            ApiKeyId = r.IsDBNull(at + 3) ? null : r.GetInt64(at + 3),
            Rule = r.IsDBNull(at + 4) ? null : r.GetString(at + 4),
            Arm = r.IsDBNull(at + 5) ? null : r.GetString(at + 5),
            Requests = r.GetInt64(at + 6),
            Answered = r.GetInt64(at + 7),
            Failed = r.GetInt64(at + 8),
            Rejected = r.GetInt64(at + 9),
            FallbackRequests = r.GetInt64(at + 10),
            Fallbacks = r.GetInt64(at + 11),
            Escalations = r.GetInt64(at + 12),
            PromptTokens = r.GetInt64(at + 13),
            CachedTokens = r.GetInt64(at + 14),
            CompletionTokens = r.GetInt64(at + 15),
            CostNanoUsd = r.GetInt64(at + 16),
            BaselineCostNanoUsd = r.GetInt64(at + 17),
            LatencySumMs = r.GetDouble(at + 18),
            LatencyHistogram = (byte[])r.GetValue(at + 19),
            EscalatedRequests = r.GetInt64(at + 20),
            EscalationCostNanoUsd = r.GetInt64(at + 21),
            Team = r.IsDBNull(at + 22) ? null : r.GetString(at + 22),
            CacheWriteTokens = r.GetInt64(at + 23),
        };
}
