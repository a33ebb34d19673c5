using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Durability;

/// <summary>The app with the rollups' flush (the other writer to the database) pushed out of the test's time.</summary>
public sealed class LedgerOnlyWritesFactory() : CostConsoleFactory(new Dictionary<string, string?> { ["CostConsole:Metrics:FlushSeconds"] = "3600" });

public sealed class LedgerCheckpointTests(LedgerOnlyWritesFactory factory) : IClassFixture<LedgerOnlyWritesFactory>
{
    [Fact]
    public async Task Rows_committed_one_request_at_a_time_reach_the_database_file_itself_not_only_its_write_ahead_log()
    {
        var ct = TestContext.Current.CancellationToken;
        var ledger = factory.Services.GetRequiredService<LedgerWriter>();
        const int rows = SqliteLedgerBatchWriter.CheckpointRows * 4;
        var ids = new List<string>(rows);
        for (var i = 0; i < rows; i++)
        {
            var entry = Entry();
            ids.Add(entry.RequestId);
            await ledger.RecordAsync(entry, ct);
        }

        // The request commits leave the copying to a background checkpoint: poll the database file alone (a copy without
        // its -wal file, which is how SQLite reads it after the WAL is gone) until it holds all but the last stretch.
        var database = Path.Combine(factory.DataFolder, "costconsole.db");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var inFile = 0;
        while (DateTime.UtcNow < deadline)
        {
            inFile = CountInFileAlone(database, ids);
            if (inFile >= rows - SqliteLedgerBatchWriter.CheckpointRows)
            {
                break;
            }

            await Task.Delay(100, ct);
        }

        Assert.True(inFile >= rows - SqliteLedgerBatchWriter.CheckpointRows, $"Only {inFile} of {rows} rows reached the database file.");

        // And every row is readable through the app's own connection (the WAL included).
        await using var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly");
        await connection.OpenAsync(ct);
        Assert.Equal(rows, Count(connection, ids));
    }

    private static int CountInFileAlone(string database, List<string> ids)
    {
        var copy = Path.Combine(Path.GetDirectoryName(database)!, $"copy-{Guid.NewGuid():N}.db");
        try
        {
            File.Copy(database, copy);
            using var connection = new SqliteConnection($"Data Source={copy};Pooling=False");
            connection.Open();
            return Count(connection, ids);
        }
        catch (SqliteException)
        {
            // A copy taken while a checkpoint was writing pages can be torn: take another.
            return 0;
        }
        finally
        {
            File.Delete(copy);
            File.Delete(copy + "-wal");
            File.Delete(copy + "-shm");
        }
    }

    private static int Count(SqliteConnection connection, List<string> ids)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT RequestId FROM RequestLog";
        using var reader = command.ExecuteReader();
        var wanted = new HashSet<string>(ids, StringComparer.Ordinal);
        var found = 0;
        while (reader.Read())
        {
            found += wanted.Contains(reader.GetString(0)) ? 1 : 0;
        }

        return found;
    }

    private static LedgerEntry Entry() => new()
    {
        RequestId = "req_" + Guid.CreateVersion7().ToString("N"),
        Timestamp = DateTimeOffset.UtcNow,
        Tier = "small",
        Model = "simulator/gpt-4.1-nano",
        Provider = "simulator",
        Rule = "faq",
        PromptTokens = 40,
        CompletionTokens = 12,
        Cost = 0.00001m,
        BaselineCost = 0.0001m,
        Priced = true,
        LatencyMs = 3,
        Status = LedgerStatus.Answered,
        HttpStatus = 200,
    };
}
