using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Data.Metrics;
using CostConsole.Web.Access;
using CostConsole.Web.Budgets;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Scale;

/// <summary><c>migrate-data --to</c>: a SQLite installation moved up to PostgreSQL, run as a user runs it.</summary>
[Collection(PostgresCollection.Name)]
public sealed class MigrateDataTests(PostgresServer server)
{
    [Fact]
    public async Task A_sqlite_installation_is_copied_whole_and_the_copy_serves_on_postgresql_but_a_second_copy_is_refused()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var sqlite = new CostConsoleFactory();
        await TrafficSender.SendMixAsync(sqlite, rounds: 4);
        var catalogue = sqlite.Services.GetRequiredService<CatalogueService>();
        var nano = (await catalogue.ModelsAsync(ct)).Single(m => m.ModelId == "gpt-4.1-nano");
        Assert.True((await catalogue.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = 0.2m, OutputPerMillion = 0.8m, Note = "doubled" }, "test", ct)).Saved);
        Assert.True((await sqlite.Services.GetRequiredService<BudgetService>().SaveAsync(new BudgetForm { Name = "Everything", LimitUsd = 100m }, "test", ct)).Saved);
        await sqlite.EnsureUserAsync(Roles.FinOps);
        await TrafficSender.SendMixAsync(sqlite, rounds: 1);
        await sqlite.Services.GetRequiredService<RollupStore>().FlushAsync(ct);

        var database = server.NewDatabaseName("moved");
        var target = await server.CreateDatabaseAsync(database);
        var (exit, output, error) = await MigrateDataAsync(sqlite.DataFolder, target, ct);

        Assert.True(exit == 0, $"migrate-data exited with {exit}: {error}{output}");
        Figures before;
        await using (var source = await sqlite.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct))
        {
            before = await FiguresAsync(source, ct);
        }

        Assert.Equal(25, before.LedgerRows);
        Assert.Contains("every count and every cost and token sum matches", output, StringComparison.Ordinal);
        await using (var copy = new CostConsoleDbContext(new DbContextOptionsBuilder<CostConsoleDbContext>().UseNpgsql(target).Options))
        {
            Assert.Equal(before, await FiguresAsync(copy, ct));
        }

        await using (var moved = new MovedFactory(server, database))
        {

            // The copied key, users and prices work there, and new rows take ids after the copied ones.
            using var client = moved.CreateApiClient();
            using var answer = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "small", messages = new[] { new { role = "user", content = TrafficSender.Faq } } }, ct);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            using var finOps = await moved.CreateConsoleClientAsync(Roles.FinOps);
            var ledger = await moved.LedgerAsync();
            Assert.Equal(before.LedgerRows + 1, ledger.Count);
            Assert.True(ledger[^1].Id > ledger[^2].Id);
            Assert.True(ledger[^1].CostNanoUsd > 0);
        }

        var again = await MigrateDataAsync(sqlite.DataFolder, target, ct);

        Assert.Equal(2, again.Exit);
        Assert.Contains("The target database is not empty", again.Error, StringComparison.Ordinal);
        Assert.Contains("RequestLog", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_that_is_not_a_connection_string_is_refused_with_what_one_looks_like()
    {
        await using var sqlite = new CostConsoleFactory();
        _ = sqlite.BaseAddress;

        var (exit, _, error) = await MigrateDataAsync(sqlite.DataFolder, "postgres://nowhere", TestContext.Current.CancellationToken);

        Assert.Equal(2, exit);
        Assert.Contains("--to is not a PostgreSQL connection string", error, StringComparison.Ordinal);
    }

    private sealed record Figures(int LedgerRows, long LedgerCost, long LedgerTokens, int Keys, int Users, int Prices, int Budgets, long RollupRequests, long RollupCost, int AuditRows);

    private static async Task<Figures> FiguresAsync(CostConsoleDbContext db, CancellationToken ct)
    {
        var ledger = await db.RequestLog.AsNoTracking().ToListAsync(ct);
        var hours = await db.HourRollups.AsNoTracking().ToListAsync(ct);
        return new Figures(
            ledger.Count,
            ledger.Sum(r => r.CostNanoUsd),
            ledger.Sum(r => r.PromptTokens + r.CompletionTokens),
            await db.ApiKeys.CountAsync(ct),
            await db.Users.CountAsync(ct),
            await db.ModelPrices.CountAsync(ct),
            await db.Budgets.CountAsync(ct),
            hours.Sum(h => h.Requests),
            hours.Sum(h => h.CostNanoUsd),
            await db.AuditLog.CountAsync(ct));
    }

    /// <summary>Runs the console's command line as a user would, against the SQLite installation in <paramref name="dataFolder"/>.</summary>
    private static async Task<(int Exit, string Output, string Error)> MigrateDataAsync(string dataFolder, string to, CancellationToken ct)
    {
        var webOutput = Path.GetDirectoryName(typeof(Program).Assembly.Location)!;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = webOutput,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { Path.Combine(webOutput, "CostConsole.Web.dll"), "migrate-data", "--to", to })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["CostConsole__DataFolder"] = dataFolder;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return (process.ExitCode, await output, await error);
    }

    private sealed class MovedFactory(PostgresServer server, string database) : PostgresConsoleFactory(server, database, []);
}
