using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Data.Ledger;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

/// <summary>Two app hosts on one PostgreSQL database, as two instances behind a load balancer.</summary>
[Collection(PostgresCollection.Name)]
public sealed class TwoHostTests(PostgresServer server)
{
    [Fact]
    public async Task Two_instances_starting_together_on_an_empty_database_migrate_and_seed_it_once()
    {
        var database = await server.CreateDatabaseAsync(server.NewDatabaseName("together"));
        await using var a = new SharedDatabaseFactory(server, database);
        await using var b = new SharedDatabaseFactory(server, database);

        // Both start at once: each migrates, seeds and creates the first admin under the start-up lock.
        await Task.WhenAll(Task.Run(() => a.BaseAddress), Task.Run(() => b.BaseAddress));

        await using var db = await a.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken);
        Assert.True(db.Database.IsNpgsql());
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync(TestContext.Current.CancellationToken));
        Assert.Equal(3, await db.Tiers.CountAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, await db.ApiKeys.CountAsync(TestContext.Current.CancellationToken));
        Assert.Equal(1, await db.Users.CountAsync(TestContext.Current.CancellationToken));
        foreach (var host in new[] { a, b })
        {
            using var client = host.CreateApiClient();
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = TrafficSender.Faq } } }, TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Rollups_stay_exact_when_two_instances_write_the_same_periods_at_once()
    {
        var database = await server.CreateDatabaseAsync(server.NewDatabaseName("twohosts"));
        await using var a = new SharedDatabaseFactory(server, database);
        _ = a.BaseAddress;
        await using var b = new SharedDatabaseFactory(server, database);
        _ = b.BaseAddress;

        // Traffic through both at once, plus late rows from both for an old period that both then add to.
        var old = DateTimeOffset.UtcNow.AddDays(-3);
        await Task.WhenAll(
            TrafficSender.SendMixAsync(a, rounds: 6),
            TrafficSender.SendMixAsync(b, rounds: 6),
            LateAsync(a, old, 20),
            LateAsync(b, old, 20));

        await using var db = await a.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(TestContext.Current.CancellationToken);
        var ledger = await db.RequestLog.AsNoTracking().ToListAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2 * ((6 * 5) + 20), ledger.Count);
        Assert.Equal(RollupTests.Expected(ledger, RollupGrid.MinuteMs), RollupTests.Actual(await db.MinuteRollups.AsNoTracking().ToListAsync(TestContext.Current.CancellationToken)));
        Assert.Equal(RollupTests.Expected(ledger, RollupGrid.HourMs), RollupTests.Actual(await db.HourRollups.AsNoTracking().ToListAsync(TestContext.Current.CancellationToken)));

        // Either instance's dashboard shows the traffic of both.
        foreach (var host in new[] { a, b })
        {
            var view = await host.Services.GetRequiredService<MetricsHistory>().LoadAsync(
                MetricsRange.Create(RangeKind.Week, DateTimeOffset.UtcNow.AddMinutes(1)), MetricsFilter.None, TestContext.Current.CancellationToken);
            Assert.Equal(ledger.Count, view.Totals.Requests);
            Assert.Equal(ledger.Sum(r => r.CostNanoUsd), view.Totals.CostNanoUsd);
        }
    }

    private static async Task LateAsync(SharedDatabaseFactory host, DateTimeOffset at, int count)
    {
        var ledger = host.Services.GetRequiredService<LedgerWriter>();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => ledger.RecordAsync(new LedgerEntry
        {
            RequestId = "req_" + Guid.NewGuid().ToString("N"),
            Timestamp = at.AddSeconds(i % 3),
            Tier = "medium",
            Model = "simulator/gpt-4.1-mini",
            Provider = "simulator",
            Rule = "drafting",
            PromptTokens = 100 + i,
            CompletionTokens = 50,
            Cost = 0.000123m * (i + 1),
            BaselineCost = 0.001m,
            Priced = true,
            LatencyMs = 200 + (10 * i),
            Status = LedgerStatus.Answered,
            HttpStatus = 200,
        }).AsTask()));
    }

    private sealed class SharedDatabaseFactory(PostgresServer server, string connectionString)
        : PostgresConsoleFactory(server, new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!, []);
}
