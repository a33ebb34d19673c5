using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Keys;

/// <summary>The console keeps its calendar in New York, so its month starts five hours after the UTC one.</summary>
public sealed class NewYorkConsoleFactory() : CostConsoleFactory(new() { ["CostConsole:Budgets:TimeZone"] = "America/New_York" });

/// <summary>The keys list shows each key's spend this month and when it was last used, both read from the ledger.</summary>
public class KeyUsageTests(NewYorkConsoleFactory factory) : IClassFixture<NewYorkConsoleFactory>
{
    private KeyService Service => factory.Services.GetRequiredService<KeyService>();

    [Fact]
    public async Task A_key_used_only_in_the_ledger_shows_its_spend_this_month_in_the_console_time_zone_and_its_last_use()
    {
        var ct = TestContext.Current.CancellationToken;
        var (created, key) = await Service.CreateAsync(new KeyForm { Name = "imported-app", Team = "growth" }, "alice", cancellationToken: ct);
        Assert.True(created.Saved, created.Summary);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var (monthStart, _) = BudgetPeriods.Containing(BudgetPeriod.Monthly, DateTimeOffset.UtcNow, zone);

        // Requests written by another host or an import: this host's key directory never saw them.
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct))
        {
            db.RequestLog.AddRange(
                Row(key!.Id, monthStart, 1.25m),
                Row(key.Id, monthStart.AddMilliseconds(-1), 0.50m),
                Row(key.Id, monthStart.AddHours(-3), 2.00m),
                Row(key.Id, monthStart.AddDays(-40), 7.00m));
            await db.SaveChangesAsync(ct);
        }

        // Rows written straight into the database reach the rollups when they are rebuilt from the ledger, as seed-ledger does.
        await factory.Services.GetRequiredService<CostConsole.Data.Metrics.RollupStore>().RebuildAsync(DateTimeOffset.UnixEpoch, ct);
        var listed = (await Service.ListAsync(includeRevoked: false, ct)).Single(k => k.Id == key.Id);

        // Only the request at or after local midnight on the 1st counts; 3 h before it is still last month in New York though this month in UTC.
        Assert.Equal(1.25m, listed.SpendThisMonth);
        Assert.Equal(monthStart, listed.LastUsedAt);
    }

    [Fact]
    public async Task A_key_with_no_requests_shows_no_spend_and_is_never_used_and_a_live_request_counts_at_once()
    {
        var ct = TestContext.Current.CancellationToken;
        var (created, key) = await Service.CreateAsync(new KeyForm { Name = "fresh-app", Team = "growth" }, "alice", cancellationToken: ct);
        Assert.True(created.Saved, created.Summary);
        var before = (await Service.ListAsync(includeRevoked: false, ct)).Single(k => k.Id == key!.Id);
        Assert.Equal(0m, before.SpendThisMonth);
        Assert.Null(before.LastUsedAt);

        using var client = factory.CreateApiClient(key!.Secret);
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order?" } } }, ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var ledger = new List<RequestLogRow>();
        await TrafficSender.WaitUntilAsync(async () => (ledger = [.. (await factory.LedgerAsync()).Where(r => r.ApiKeyId == key.Id)]).Count == 1, "the request in the ledger");
        var after = (await Service.ListAsync(includeRevoked: false, ct)).Single(k => k.Id == key.Id);
        Assert.True(ledger.Sum(r => r.CostNanoUsd) > 0);
        Assert.Equal(Money.FromNanoUsd(ledger.Sum(r => r.CostNanoUsd)), after.SpendThisMonth);
        Assert.NotNull(after.LastUsedAt);
    }

    private static RequestLogRow Row(long keyId, DateTimeOffset at, decimal cost) => new()
    {
        RequestId = "imported-" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        ApiKeyId = keyId,
        Model = "gpt-4o-mini",
        Tier = "small",
        CostNanoUsd = Money.ToNanoUsd(cost),
        BaselineCostNanoUsd = Money.ToNanoUsd(cost * 4),
        HttpStatus = 200,
    };
}
