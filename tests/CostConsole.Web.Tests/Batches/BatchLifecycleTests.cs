using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

/// <summary>A console whose simulated models take a while and whose batches run one line at a time, so a test can act mid-batch.</summary>
public sealed class SlowBatchFactory(string? dataFolder = null) : CostConsoleFactory(Settings(dataFolder))
{
    public SlowBatchFactory() : this(null)
    {
    }

    private static Dictionary<string, string?> Settings(string? dataFolder)
    {
        var settings = new Dictionary<string, string?>
        {
            ["CostConsole:Simulator:LatencyScale"] = "0.1",
            ["CostConsole:Batches:Concurrency"] = "1",
        };
        if (dataFolder is not null)
        {
            settings["CostConsole:DataFolder"] = dataFolder;
        }

        return settings;
    }
}

public sealed class BatchLifecycleTests
{
    [Fact]
    public async Task A_batch_cancelled_the_moment_it_was_created_is_cancelled_and_runs_no_more_lines()
    {
        await using var factory = new SlowBatchFactory();
        using var client = factory.CreateApiClient();
        var id = await StartAsync(client, File(200));

        using var cancel = await client.PostAsync($"/v1/batches/{id}/cancel", null, TestContext.Current.CancellationToken);
        Assert.True(cancel.IsSuccessStatusCode, (await JsonAsync(cancel)).ToString());
        var batch = await WaitAsync(client, id, Finished);

        Assert.Equal("cancelled", batch.GetProperty("status").GetString());
        Assert.InRange(Count(batch, "completed"), 0, 10);
    }

    [Fact]
    public async Task A_cancelled_batch_stops_and_its_output_holds_only_the_lines_that_finished()
    {
        await using var factory = new SlowBatchFactory();
        using var client = factory.CreateApiClient();
        var id = await StartAsync(client, File(40));
        await WaitAsync(client, id, b => Count(b, "completed") >= 1);

        using var cancel = await client.PostAsync($"/v1/batches/{id}/cancel", null, TestContext.Current.CancellationToken);
        var cancelling = await JsonAsync(cancel);
        Assert.True(cancel.IsSuccessStatusCode, cancelling.ToString());
        Assert.Contains(cancelling.GetProperty("status").GetString(), (string[])["cancelling", "cancelled"]);
        var batch = await WaitAsync(client, id, Finished);

        Assert.Equal("cancelled", batch.GetProperty("status").GetString());
        Assert.NotEqual(JsonValueKind.Null, batch.GetProperty("cancelled_at").ValueKind);
        var completed = Count(batch, "completed");
        Assert.InRange(completed, 1, 39);
        var output = await DownloadLinesAsync(client, batch.GetProperty("output_file_id").GetString()!);
        Assert.Equal(completed, output.Count);
        var answered = (await factory.LedgerAsync()).Count(r => r.BatchId == id && r.Status == 0);
        Assert.Equal(completed, answered);

        using var again = await client.PostAsync($"/v1/batches/{id}/cancel", null, TestContext.Current.CancellationToken);
        Assert.Equal("cancelled", (await JsonAsync(again)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_batch_interrupted_by_a_restart_resumes_on_the_same_database_without_running_a_finished_line_twice()
    {
        var folder = Path.Combine(Path.GetTempPath(), "costconsole-tests", "batch-restart-" + Guid.NewGuid().ToString("N"));
        string id;
        Dictionary<string, string> finishedBefore;
        await using (var first = new SlowBatchFactory(folder))
        {
            using var client = first.CreateApiClient();
            id = await StartAsync(client, File(10));
            await WaitAsync(client, id, b => Count(b, "completed") >= 2);
            finishedBefore = await FinishedLinesAsync(first, id);
        }

        try
        {
            await using var second = new SlowBatchFactory(folder);
            using var client = second.CreateApiClient();
            var batch = await WaitAsync(client, id, Finished);

            Assert.Equal("completed", batch.GetProperty("status").GetString());
            var errors = batch.GetProperty("error_file_id").GetString() is { } errorFile ? string.Join('\n', await DownloadLinesAsync(client, errorFile)) : "";
            Assert.True(Count(batch, "completed") == 10, $"{batch}\n{errors}");
            var output = await DownloadLinesAsync(client, batch.GetProperty("output_file_id").GetString()!);
            Assert.Equal(Enumerable.Range(1, 10).Select(i => $"request-{i}"), output.Select(l => l.GetProperty("custom_id").GetString()));

            // Lines finished before the stop kept their answer; no line was answered twice.
            var after = await FinishedLinesAsync(second, id);
            Assert.True(finishedBefore.Count >= 2);
            foreach (var (customId, requestId) in finishedBefore)
            {
                Assert.Equal(requestId, after[customId]);
            }

            var answered = (await second.LedgerAsync()).Where(r => r.BatchId == id && r.Status == 0).ToList();
            Assert.Equal(10, answered.Count);
            Assert.Equal(after.Values.Order(), answered.Select(r => r.RequestId).Order());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    [Fact]
    public async Task A_batch_whose_completion_window_passed_while_the_console_was_down_expires_with_its_unrun_lines_in_the_error_file()
    {
        var folder = Path.Combine(Path.GetTempPath(), "costconsole-tests", "batch-expiry-" + Guid.NewGuid().ToString("N"));
        string id;
        await using (var first = new SlowBatchFactory(folder))
        {
            using var client = first.CreateApiClient();
            id = await StartAsync(client, File(30));
            await WaitAsync(client, id, b => Count(b, "completed") >= 1);
        }

        try
        {
            // The console stays down past the 24-hour window.
            await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(folder, "costconsole.db")}"))
            {
                await connection.OpenAsync(TestContext.Current.CancellationToken);
                await using var command = connection.CreateCommand();
                command.CommandText = "UPDATE Batches SET ExpiresAt = $past WHERE Id = $id";
                command.Parameters.AddWithValue("$past", DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds());
                command.Parameters.AddWithValue("$id", id);
                Assert.Equal(1, await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken));
            }

            await using var second = new SlowBatchFactory(folder);
            using var again = second.CreateApiClient();
            var batch = await WaitAsync(again, id, Finished);

            Assert.Equal("expired", batch.GetProperty("status").GetString());
            Assert.NotEqual(JsonValueKind.Null, batch.GetProperty("expired_at").ValueKind);
            var completed = Count(batch, "completed");
            var output = await DownloadLinesAsync(again, batch.GetProperty("output_file_id").GetString()!);
            var errors = await DownloadLinesAsync(again, batch.GetProperty("error_file_id").GetString()!);
            Assert.Equal(completed, output.Count);
            Assert.Equal(30, output.Count + errors.Count);
            Assert.All(errors, e => Assert.Equal("batch_expired", e.GetProperty("error").GetProperty("code").GetString()));
            Assert.Equal(Enumerable.Range(1, 30).Select(i => $"request-{i}").Order(), output.Concat(errors).Select(l => l.GetProperty("custom_id").GetString()!).Order());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder is harmless.
            }
        }
    }

    private static async Task<Dictionary<string, string>> FinishedLinesAsync(CostConsoleFactory factory, string batchId)
    {
        var contexts = factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(TestContext.Current.CancellationToken);
        return await db.BatchLines.Where(l => l.BatchId == batchId && l.Status == BatchLineStatus.Succeeded)
            .ToDictionaryAsync(l => l.CustomId, l => l.RequestId!, TestContext.Current.CancellationToken);
    }
}
