using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CostConsole.Web.Tests.Durability;

public sealed class CrashTests
{
    [Fact]
    public async Task Every_request_a_client_saw_answered_survives_a_kill_under_load()
    {
        var ct = TestContext.Current.CancellationToken;
        var dataFolder = Path.Combine(Path.GetTempPath(), "costconsole-crash", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>
        {
            ["CostConsole:DevApiKey"] = CostConsoleFactory.ApiKey,
            // Slow enough that requests are in flight at the kill, fast enough for many answers.
            ["CostConsole:Simulator:LatencyScale"] = "0.02",
        };

        IReadOnlyCollection<string> acknowledged;
        await using (var app = await AppProcess.StartAsync(dataFolder, settings, ct))
        {
            acknowledged = await KillUnderLoad.RunAsync(app, answered: 300, TimeSpan.FromSeconds(30), ct);
        }

        Assert.True(acknowledged.Count >= 300, $"Only {acknowledged.Count} requests were answered before the kill.");

        // Restart on the same data: the ledger must hold every acknowledged request.
        await using (await AppProcess.StartAsync(dataFolder, settings, ct))
        {
            var recorded = new HashSet<string>(StringComparer.Ordinal);
            await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataFolder, "costconsole.db")};Mode=ReadOnly");
            await connection.OpenAsync(ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT RequestId FROM RequestLog WHERE Status = 0";
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                recorded.Add(reader.GetString(0));
            }

            var missing = acknowledged.Where(id => !recorded.Contains(id)).ToList();
            Assert.Empty(missing);
        }

        SqliteConnection.ClearAllPools();
        Directory.Delete(dataFolder, recursive: true);
    }
}
