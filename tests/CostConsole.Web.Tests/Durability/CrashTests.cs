using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
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

        var acknowledged = new ConcurrentBag<string>();
        await using (var app = await AppProcess.StartAsync(dataFolder, settings, ct))
        {
            using var http = new HttpClient { BaseAddress = app.BaseAddress };
            http.DefaultRequestHeaders.Authorization = new("Bearer", CostConsoleFactory.ApiKey);
            using var load = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var clients = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            {
                for (var n = 0; !load.IsCancellationRequested; n++)
                {
                    try
                    {
                        using var response = await http.PostAsJsonAsync(
                            "/v1/chat/completions",
                            new { model = "auto", messages = new[] { new { role = "user", content = $"Where is my order {i}-{n}?" } } },
                            load.Token);
                        if (response.StatusCode == HttpStatusCode.OK)
                        {
                            acknowledged.Add(response.Headers.GetValues("x-costconsole-request-id").Single());
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException)
                    {
                        // The kill cuts requests in flight: those were never acknowledged.
                    }
                }
            }, ct)).ToArray();

            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (acknowledged.Count < 300 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, ct);
            }

            app.Kill();
            await load.CancelAsync();
            await Task.WhenAll(clients);
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
