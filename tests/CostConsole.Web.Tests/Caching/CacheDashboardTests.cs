using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Caching;
using CostConsole.Web.Metrics;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Caching;

/// <summary>The dashboard's cache figures read from the ledger: per range, against the period before, under the filters.</summary>
public sealed class CacheDashboardTests(CacheFactory factory) : IClassFixture<CacheFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Hits_misses_bypasses_and_savings_are_counted_in_the_range_and_the_period_before_under_the_key_filter()
    {
        var now = DateTimeOffset.UtcNow;
        var range = MetricsRange.Create(RangeKind.Day, now);
        var key = 9_000_000 + Random.Shared.Next(1_000_000);
        RequestLogRow Row(string level, DateTimeOffset at, long avoided = 0, long apiKey = 0) => new()
        {
            RequestId = "req_" + Guid.NewGuid().ToString("N"),
            Timestamp = at,
            ApiKeyId = apiKey == 0 ? key : apiKey,
            CacheLevel = level,
            CacheAvoidedCostNanoUsd = avoided,
        };

        var inRange = now.AddHours(-1);
        var before = range.Previous.From.AddHours(1);
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Ct))
        {
            db.RequestLog.AddRange(
                Row("exact", inRange, 2_000_000),
                Row("semantic", inRange, 1_000_000),
                Row("semantic", inRange, 1_000_000),
                Row("miss", inRange),
                Row("bypass", inRange),
                Row("exact", before, 1_000_000),
                Row("miss", before),
                Row("miss", before),
                Row("miss", before),
                Row("exact", inRange, 50_000_000, apiKey: key + 1));
            await db.SaveChangesAsync(Ct);
        }

        using var scope = factory.Services.CreateScope();
        var figures = await scope.ServiceProvider.GetRequiredService<CacheService>().DashboardAsync(range, new MetricsFilter(ApiKeyId: key), "the last 24 hours", Ct);

        Assert.Equal(new CacheRangeFigures(1, 2, 1, 1, 0.004m), figures.Range);
        Assert.Equal(0.75, figures.Range.HitRate);
        Assert.Equal(new CacheRangeFigures(1, 0, 3, 0, 0.001m), figures.PreviousRange);
        Assert.True(figures.Enabled);
    }
}
