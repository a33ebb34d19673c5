using CostConsole.Data;
using CostConsole.Data.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Scale;

[Collection(PostgresCollection.Name)]
public sealed class PostgreSqlCrashTests(PostgresServer server)
{
    [Fact]
    public async Task A_killed_instance_loses_no_acknowledged_request_and_leaves_rollups_equal_to_the_ledger()
    {
        var ct = TestContext.Current.CancellationToken;
        var database = await server.CreateDatabaseAsync(server.NewDatabaseName("killed"));
        var dataFolder = Path.Combine(Path.GetTempPath(), "costconsole-crash", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string>
        {
            ["CostConsole:Database:Provider"] = "PostgreSql",
            ["CostConsole:Database:ConnectionString"] = database,
            ["CostConsole:DevApiKey"] = CostConsoleFactory.ApiKey,
            // Slow enough that requests are in flight at the kill, fast enough for many answers.
            ["CostConsole:Simulator:LatencyScale"] = "0.02",
        };

        IReadOnlyCollection<string> acknowledged;
        await using (var app = await AppProcess.StartAsync(dataFolder, settings, ct))
        {
            acknowledged = await KillUnderLoad.RunAsync(app, answered: 200, TimeSpan.FromSeconds(60), ct);
        }

        Assert.True(acknowledged.Count >= 200, $"Only {acknowledged.Count} requests were answered before the kill.");

        // No restart, no catch-up: what the database holds right after the kill.
        await using var db = new CostConsoleDbContext(new DbContextOptionsBuilder<CostConsoleDbContext>().UseNpgsql(database).Options);
        var ledger = await db.RequestLog.AsNoTracking().ToListAsync(ct);
        var recorded = ledger.Select(r => r.RequestId).ToHashSet(StringComparer.Ordinal);
        var missing = acknowledged.Where(id => !recorded.Contains(id)).ToList();
        Assert.Empty(missing);
        Assert.Equal(RollupTests.Expected(ledger, RollupGrid.MinuteMs), RollupTests.Actual(await db.MinuteRollups.AsNoTracking().ToListAsync(ct)));
        Assert.Equal(RollupTests.Expected(ledger, RollupGrid.HourMs), RollupTests.Actual(await db.HourRollups.AsNoTracking().ToListAsync(ct)));
        try
        {
            Directory.Delete(dataFolder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
