using CostConsole.Data.Entities;
using Microsoft.Data.Sqlite;

namespace CostConsole.Data.Metrics;

/// <summary>Plain SQL for rollup rows: they are written in bulk, where EF's change tracking would only cost.</summary>
internal static class RollupWriter
{
    private static readonly string[] Columns =
    [
        "Start", "Tier", "Model", "ApiKeyId", "Rule", "Arm", "Requests", "Answered", "Failed", "Rejected", "FallbackRequests",
        "Fallbacks", "Escalations", "PromptTokens", "CachedTokens", "CompletionTokens", "CostNanoUsd", "BaselineCostNanoUsd",
        "LatencySumMs", "LatencyHistogram", "EscalatedRequests", "EscalationCostNanoUsd",
    ];

    public static string SelectColumns { get; } = string.Join(", ", Columns);

    public static SqliteCommand CreateInsert(SqliteConnection connection, SqliteTransaction transaction, string table)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO {table} ({SelectColumns}) VALUES ({string.Join(", ", Columns.Select(c => "$" + c))})";
        foreach (var column in Columns)
        {
            command.Parameters.Add(new SqliteParameter("$" + column, null));
        }

        command.Prepare();
        return command;
    }

    public static void Delete(SqliteConnection connection, SqliteTransaction transaction, string table, long from, long to)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"DELETE FROM {table} WHERE Start >= $from AND Start < $to";
        command.Parameters.AddWithValue("$from", from);
        command.Parameters.AddWithValue("$to", to);
        command.ExecuteNonQuery();
    }

    /// <summary>Writes one period whole: its old rows go, its current cells come in.</summary>
    public static void Replace(SqliteConnection connection, SqliteTransaction transaction, SqliteCommand insert, string table, long start, long end, Dictionary<RollupKey, RollupCell> cells)
    {
        Delete(connection, transaction, table, start, end);
        Insert(insert, cells);
    }

    public static int Insert(SqliteCommand insert, Dictionary<RollupKey, RollupCell> cells)
    {
        foreach (var (key, cell) in cells)
        {
            var p = insert.Parameters;
            var i = 0;
            p[i++].Value = key.Start;
            p[i++].Value = (object?)key.Tier ?? DBNull.Value;
            p[i++].Value = (object?)key.Model ?? DBNull.Value;
            p[i++].Value = (object?)key.ApiKeyId ?? DBNull.Value;
            p[i++].Value = (object?)key.Rule ?? DBNull.Value;
            p[i++].Value = (object?)key.Arm ?? DBNull.Value;
            p[i++].Value = cell.Requests;
            p[i++].Value = cell.Answered;
            p[i++].Value = cell.Failed;
            p[i++].Value = cell.Rejected;
            p[i++].Value = cell.FallbackRequests;
            p[i++].Value = cell.Fallbacks;
            p[i++].Value = cell.Escalations;
            p[i++].Value = cell.PromptTokens;
            p[i++].Value = cell.CachedTokens;
            p[i++].Value = cell.CompletionTokens;
            p[i++].Value = cell.CostNanoUsd;
            p[i++].Value = cell.BaselineCostNanoUsd;
            p[i++].Value = cell.LatencySumMs;
            p[i++].Value = cell.Latency.Encode();
            p[i++].Value = cell.EscalatedRequests;
            p[i].Value = cell.EscalationCostNanoUsd;
            insert.ExecuteNonQuery();
        }

        return cells.Count;
    }

    /// <summary>Reads a row selected with <see cref="SelectColumns"/>.</summary>
    public static T Read<T>(SqliteDataReader r)
        where T : RollupRow, new() => new()
        {
            Start = r.GetInt64(0),
            Tier = r.IsDBNull(1) ? null : r.GetString(1),
            Model = r.IsDBNull(2) ? null : r.GetString(2),
            ApiKeyId = r.IsDBNull(3) ? null : r.GetInt64(3),
            Rule = r.IsDBNull(4) ? null : r.GetString(4),
            Arm = r.IsDBNull(5) ? null : r.GetString(5),
            Requests = r.GetInt64(6),
            Answered = r.GetInt64(7),
            Failed = r.GetInt64(8),
            Rejected = r.GetInt64(9),
            FallbackRequests = r.GetInt64(10),
            Fallbacks = r.GetInt64(11),
            Escalations = r.GetInt64(12),
            PromptTokens = r.GetInt64(13),
            CachedTokens = r.GetInt64(14),
            CompletionTokens = r.GetInt64(15),
            CostNanoUsd = r.GetInt64(16),
            BaselineCostNanoUsd = r.GetInt64(17),
            LatencySumMs = r.GetDouble(18),
            LatencyHistogram = (byte[])r.GetValue(19),
            EscalatedRequests = r.GetInt64(20),
            EscalationCostNanoUsd = r.GetInt64(21),
        };
}
