using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Tests.Keys;

/// <summary>The keys list shows, for every key at once, when it was last used and what it spent this month, as the ledger holds them.</summary>
public class KeyListUsageTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    [Fact]
    public async Task Several_keys_each_show_their_own_last_request_and_this_months_spend_from_the_ledger()
    {
        var ct = TestContext.Current.CancellationToken;
        var zone = factory.Services.GetRequiredService<IOptions<BudgetOptions>>().Value.Zone();
        var now = DateTimeOffset.UtcNow;
        var (monthStart, _) = BudgetPeriods.Containing(BudgetPeriod.Monthly, now, zone);
        var dbs = factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        List<ApiKeyEntity> keys = [Key("busy"), Key("quiet"), Key("last-month"), Key("idle")];
        await using (var db = await dbs.CreateDbContextAsync(ct))
        {
            db.ApiKeys.AddRange(keys);
            await db.SaveChangesAsync(ct);

            // Rows written by another host or an import, in no particular order: the latest is not the last inserted.
            db.RequestLog.AddRange(
                Row(keys[0].Id, now.AddMinutes(-50), 0.40m),
                Row(keys[0].Id, now.AddMinutes(-2), 0.10m),
                Row(keys[0].Id, now.AddMinutes(-30), 0.25m),
                Row(keys[1].Id, now.AddMinutes(-45), 1.00m),
                Row(keys[1].Id, monthStart.AddDays(-3), 5.00m),
                Row(keys[2].Id, monthStart.AddDays(-10), 2.00m),
                Row(keys[2].Id, monthStart.AddDays(-12), 3.00m));
            await db.SaveChangesAsync(ct);
        }

        await factory.Services.GetRequiredService<RollupStore>().RebuildAsync(DateTimeOffset.UnixEpoch, ct);
        var listed = (await factory.Services.GetRequiredService<KeyService>().ListAsync(includeRevoked: false, ct)).ToDictionary(k => k.Id);
        var ledger = (await factory.LedgerAsync()).Where(r => r.ApiKeyId is { } id && keys.Any(k => k.Id == id)).ToList();

        foreach (var key in keys)
        {
            var rows = ledger.Where(r => r.ApiKeyId == key.Id).ToList();
            Assert.Equal(rows.Count == 0 ? null : rows.Max(r => r.Timestamp), listed[key.Id].LastUsedAt);
            Assert.Equal(Money.FromNanoUsd(rows.Where(r => r.Timestamp >= monthStart).Sum(r => r.CostNanoUsd)), listed[key.Id].SpendThisMonth);
        }

        // Worked out by hand, so an equal mistake on both sides cannot pass.
        Assert.Equal(0.75m, listed[keys[0].Id].SpendThisMonth);
        Assert.Equal(1.00m, listed[keys[1].Id].SpendThisMonth);
        Assert.Equal(0m, listed[keys[2].Id].SpendThisMonth);
        Assert.NotNull(listed[keys[2].Id].LastUsedAt);
        Assert.Null(listed[keys[3].Id].LastUsedAt);
    }

    private static ApiKeyEntity Key(string name) => new()
    {
        Name = name + "-" + Guid.NewGuid().ToString("N")[..6],
        Team = "usage",
        Prefix = "cc-" + name[..3],
        Hash = Guid.NewGuid().ToString("N"),
        CreatedAt = DateTimeOffset.UtcNow.AddDays(-60),
    };

    private static RequestLogRow Row(long keyId, DateTimeOffset at, decimal cost) => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        ApiKeyId = keyId,
        Model = "gpt-4o-mini",
        Tier = "small",
        CostNanoUsd = Money.ToNanoUsd(cost),
        BaselineCostNanoUsd = Money.ToNanoUsd(cost * 4),
        HttpStatus = 200,
    };
}
