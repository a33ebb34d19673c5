using System.CommandLine;
using System.Data.Common;
using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Data.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using NpgsqlTypes;

namespace CostConsole.Web.Commands;

/// <summary>
/// <c>migrate-data --to "&lt;postgres connection string&gt;"</c>: copies this SQLite installation — every table, the
/// whole ledger included — into an empty PostgreSQL database, in one transaction: the target is migrated, the rows
/// copied with binary COPY in foreign-key order, the id sequences moved past the copied ids, and the counts and
/// money and token sums compared before it commits. A target that holds any row is refused and left as it was.
/// </summary>
internal static class MigrateDataCommand
{
    /// <summary>Columns whose sums must match after the copy, wherever a table has them.</summary>
    private static readonly string[] SummedColumns = ["CostNanoUsd", "BaselineCostNanoUsd", "EscalationCostNanoUsd", "PromptTokens", "CompletionTokens", "Requests"];

    public static Command Create(ConsoleHost host)
    {
        var to = new Option<string>("--to")
        {
            Description = "The PostgreSQL database to copy into, as a connection string (e.g. \"Host=db;Database=costconsole;Username=costconsole;Password=...\"). It must be empty.",
            Required = true,
        };
        var command = new Command("migrate-data", "Copies this SQLite installation (configuration, keys, users, budgets, the whole ledger and its rollups) into an empty PostgreSQL database and verifies the copy. Stop the console first.")
        {
            to,
        };
        command.SetAction((parse, _) => ConsoleCommandLine.RunWithDataAsync(parse, host, services =>
            RunAsync(services.GetRequiredService<CostConsoleDatabase>(), parse.GetValue(to)!, parse.InvocationConfiguration.Output)));
        return command;
    }

    private static async Task RunAsync(CostConsoleDatabase source, string to, TextWriter output)
    {
        if (source.IsPostgreSql)
        {
            throw new CommandException("migrate-data copies a SQLite installation, but this console is configured for PostgreSQL (CostConsole:Database:Provider). Run it with the SQLite installation's configuration.");
        }

        try
        {
            _ = new NpgsqlConnectionStringBuilder(to);
        }
        catch (ArgumentException ex)
        {
            throw new CommandException($"--to is not a PostgreSQL connection string ({ex.Message}). It looks like \"Host=db;Database=costconsole;Username=costconsole;Password=...\".");
        }

        await using var target = new CostConsoleDatabase(DatabaseProvider.PostgreSql, to);
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>();
        target.Configure(options);
        await using var context = new CostConsoleDbContext(options.Options);
        try
        {
            await target.RunStartupAsync(() => context.Database.MigrateAsync());
        }
        catch (NpgsqlException ex)
        {
            throw new CommandException($"Cannot reach or migrate the PostgreSQL database: {ex.Message}");
        }

        // The change versions are each installation's own counters, seeded by its migrations: the copy keeps the target's.
        var tables = InDependencyOrder(context.Model.GetRelationalModel().Tables.Where(t => t.Name is not ("__EFMigrationsHistory" or "ChangeVersions")).ToList());
        await using var from = await source.OpenAsync();

        // PostgreSQL's end-user and conversation totals count every committed row: the copied ones must too.
        await SpendTotals.FoldAsync(from, source.SqliteWrites);
        await using var into = (NpgsqlConnection)await target.OpenAsync();
        await using var read = await from.BeginTransactionAsync();
        await using var write = await into.BeginTransactionAsync();

        var occupied = new List<string>();
        foreach (var table in tables)
        {
            if (await CountAsync(into, write, table.Name) is var n and > 0)
            {
                occupied.Add($"{table.Name} ({n:N0})");
            }
        }

        if (occupied.Count > 0)
        {
            throw new CommandException(
                $"The target database is not empty: {string.Join(", ", occupied)}. migrate-data copies into an empty database only, so nothing was written; "
                + "create a new database (or drop this one's tables) and run it again before any instance starts on it.");
        }

        var problems = new List<string>();
        foreach (var table in tables)
        {
            var copied = await CopyAsync(from, read, into, table);
            await MoveSequenceAsync(into, write, table);
            var (expected, actual) = (await CountAsync(from, read, table.Name), await CountAsync(into, write, table.Name));
            if (expected != actual || copied != expected)
            {
                problems.Add($"{table.Name}: {expected:N0} rows in SQLite, {actual:N0} in PostgreSQL");
            }

            foreach (var column in table.Columns.Where(c => SummedColumns.Contains(c.Name)))
            {
                var (sourceSum, targetSum) = (await SumAsync(from, read, table.Name, column.Name), await SumAsync(into, write, table.Name, column.Name));
                if (sourceSum != targetSum)
                {
                    problems.Add($"{table.Name}.{column.Name}: sums to {sourceSum} in SQLite, {targetSum} in PostgreSQL");
                }
            }

            await output.WriteLineAsync($"{table.Name,-28} {actual,14:N0} rows");
        }

        if (problems.Count > 0)
        {
            throw new CommandException($"The copy does not match its source, so nothing was written: {string.Join("; ", problems)}.");
        }

        await write.CommitAsync();
        await output.WriteLineAsync($"Copied {tables.Count} tables into PostgreSQL; every count and every cost and token sum matches the SQLite installation.");
    }

    /// <summary>Principal tables before the tables whose foreign keys point at them.</summary>
    private static List<ITable> InDependencyOrder(List<ITable> tables)
    {
        var ordered = new List<ITable>();
        var placed = new HashSet<string>();
        while (ordered.Count < tables.Count)
        {
            var ready = tables.Where(t => !placed.Contains(t.Name)
                && t.ForeignKeyConstraints.All(fk => fk.PrincipalTable.Name == t.Name || placed.Contains(fk.PrincipalTable.Name))).ToList();
            if (ready.Count == 0)
            {
                throw new InvalidOperationException("The tables' foreign keys form a cycle.");
            }

            foreach (var table in ready.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                ordered.Add(table);
                placed.Add(table.Name);
            }
        }

        return ordered;
    }

    private static async Task<long> CopyAsync(DbConnection from, DbTransaction read, NpgsqlConnection into, ITable table)
    {
        var columns = table.Columns.ToList();
        var types = columns.Select(c => TypeOf(c.ProviderClrType)).ToList();
        await using var select = from.Command($"SELECT {string.Join(", ", columns.Select(c => $"\"{c.Name}\""))} FROM \"{table.Name}\"", read);
        await using var reader = await select.ExecuteReaderAsync();
        await using var importer = await into.BeginBinaryImportAsync(
            $"COPY \"{table.Name}\" ({string.Join(", ", columns.Select(c => $"\"{c.Name}\""))}) FROM STDIN (FORMAT BINARY)");
        long rows = 0;
        while (await reader.ReadAsync())
        {
            await importer.StartRowAsync();
            for (var i = 0; i < columns.Count; i++)
            {
                if (reader.IsDBNull(i))
                {
                    await importer.WriteNullAsync();
                }
                else
                {
                    await importer.WriteAsync(Convert(reader.GetValue(i), columns[i].ProviderClrType), types[i]);
                }
            }

            rows++;
        }

        await importer.CompleteAsync();
        return rows;
    }

    /// <summary>Identity columns continue after the copied ids, so the next row an instance writes gets a fresh one.</summary>
    private static async Task MoveSequenceAsync(NpgsqlConnection into, NpgsqlTransaction write, ITable table)
    {
        foreach (var column in table.Columns.Where(c => c.ProviderClrType == typeof(long) || c.ProviderClrType == typeof(int)))
        {
            await using var sequence = new NpgsqlCommand("SELECT pg_get_serial_sequence($1, $2)", into, write);
            sequence.Parameters.AddWithValue($"\"{table.Name}\"");
            sequence.Parameters.AddWithValue(column.Name);
            if (await sequence.ExecuteScalarAsync() is not string name)
            {
                continue;
            }

            await using var move = new NpgsqlCommand(
                $"SELECT setval($1, COALESCE((SELECT MAX(\"{column.Name}\") FROM \"{table.Name}\"), 0) + 1, false)", into, write);
            move.Parameters.AddWithValue(name);
            await move.ExecuteNonQueryAsync();
        }
    }

    private static async Task<long> CountAsync(DbConnection connection, DbTransaction transaction, string table)
    {
        await using var command = connection.Command($"SELECT COUNT(*) FROM \"{table}\"", transaction);
        return System.Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    private static async Task<decimal> SumAsync(DbConnection connection, DbTransaction transaction, string table, string column)
    {
        await using var command = connection.Command($"SELECT COALESCE(SUM(\"{column}\"), 0) FROM \"{table}\"", transaction);
        return System.Convert.ToDecimal(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }

    /// <summary>A SQLite value (integer, real, text or blob) as the CLR type PostgreSQL's column takes.</summary>
    private static object Convert(object value, Type type) => type switch
    {
        _ when type == typeof(string) => value as string ?? System.Convert.ToString(value, CultureInfo.InvariantCulture)!,
        _ when type == typeof(long) => System.Convert.ToInt64(value, CultureInfo.InvariantCulture),
        _ when type == typeof(int) => System.Convert.ToInt32(value, CultureInfo.InvariantCulture),
        _ when type == typeof(short) => System.Convert.ToInt16(value, CultureInfo.InvariantCulture),
        _ when type == typeof(bool) => value is string text ? text is "1" || bool.Parse(text) : System.Convert.ToInt64(value, CultureInfo.InvariantCulture) != 0,
        _ when type == typeof(double) => System.Convert.ToDouble(value, CultureInfo.InvariantCulture),
        _ when type == typeof(float) => System.Convert.ToSingle(value, CultureInfo.InvariantCulture),
        _ when type == typeof(decimal) => value is string text ? decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture) : System.Convert.ToDecimal(value, CultureInfo.InvariantCulture),
        _ when type == typeof(Guid) => value is byte[] bytes ? new Guid(bytes) : Guid.Parse((string)value),
        _ when type == typeof(byte[]) => (byte[])value,
        _ => throw new NotSupportedException($"migrate-data cannot copy a column of type {type.Name}."),
    };

    private static NpgsqlDbType TypeOf(Type type) => type switch
    {
        _ when type == typeof(string) => NpgsqlDbType.Text,
        _ when type == typeof(long) => NpgsqlDbType.Bigint,
        _ when type == typeof(int) => NpgsqlDbType.Integer,
        _ when type == typeof(short) => NpgsqlDbType.Smallint,
        _ when type == typeof(bool) => NpgsqlDbType.Boolean,
        _ when type == typeof(double) => NpgsqlDbType.Double,
        _ when type == typeof(float) => NpgsqlDbType.Real,
        _ when type == typeof(decimal) => NpgsqlDbType.Numeric,
        _ when type == typeof(Guid) => NpgsqlDbType.Uuid,
        _ when type == typeof(byte[]) => NpgsqlDbType.Bytea,
        _ => throw new NotSupportedException($"migrate-data cannot copy a column of type {type.Name}."),
    };
}
