using Bunit;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Components.Dashboard;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>Rollups that are written only once an hour, so a test sees what a dashboard sees before the next flush.</summary>
public sealed class SlowRollupFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Metrics:FlushSeconds"] = "3600",
});

public sealed class SpendToDateTests(SlowRollupFactory factory) : IClassFixture<SlowRollupFactory>
{
    private static CancellationToken Ct => Xunit.TestContext.Current.CancellationToken;

    [Fact]
    public async Task Spend_today_and_this_month_equal_the_ledger_and_the_live_line_right_after_traffic_before_the_rollups_are_written()
    {
        var ids = await TrafficSender.SendMixAsync(factory, rounds: 2);
        List<RequestLogRow> ledger = [];
        await TrafficSender.WaitUntilAsync(async () => (ledger = await factory.LedgerAsync()).Count(r => ids.Contains(r.RequestId)) == ids.Count, "the requests in the ledger");
        var live = factory.Services.GetRequiredService<LiveMetrics>();
        await TrafficSender.WaitUntilAsync(() => Task.FromResult(LiveMetrics.Totals(live.Recent(LiveMetrics.Window)).Requests == ledger.Count), "the requests in the live line");

        var now = DateTimeOffset.UtcNow;
        var day = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Ct))
        {
            // The rollups have not been written yet: read from them alone, the cards would trail the live line.
            Assert.Equal(0L, await db.MinuteRollups.SumAsync(r => r.CostNanoUsd, Ct));
        }

        var headlines = await factory.Services.GetRequiredService<MetricsHistory>().HeadlinesAsync(MetricsRange.Create(RangeKind.Live, now), MetricsFilter.None, now, Ct);

        var today = ledger.Where(r => r.Timestamp >= day).ToList();
        var liveSpend = LiveMetrics.Totals(live.Recent(LiveMetrics.Window)).CostNanoUsd;
        Assert.True(today.Sum(r => r.CostNanoUsd) > 0);
        Assert.Equal((today.Count, today.Sum(r => r.CostNanoUsd)), (headlines.Today.Requests, headlines.Today.CostNanoUsd));
        Assert.Equal(ledger.Where(r => r.Timestamp >= month).Sum(r => r.CostNanoUsd), headlines.Month.CostNanoUsd);
        Assert.Equal(liveSpend, headlines.Today.CostNanoUsd);

        // And the card a user reads shows that figure.
        await using var components = new BunitContext();
        components.JSInterop.Mode = JSRuntimeMode.Loose;
        components.Services.AddMudServices();
        var cards = components.Render<HeadlineCards>(p => p.Add(c => c.Figures, headlines).Add(c => c.Live, true));
        Assert.Contains(CostConsole.Web.Components.Dashboard.Figures.Usd(Money.FromNanoUsd(today.Sum(r => r.CostNanoUsd))), cards.Find("[data-testid='card-spend-today']").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(RangeKind.Live)]
    [InlineData(RangeKind.Day)]
    [InlineData(RangeKind.Week)]
    [InlineData(RangeKind.Month)]
    public async Task A_range_that_runs_to_now_counts_every_committed_request_before_the_rollups_are_written(RangeKind kind)
    {
        var ids = await TrafficSender.SendMixAsync(factory, rounds: 1);
        List<RequestLogRow> ledger = [];
        await TrafficSender.WaitUntilAsync(async () => (ledger = await factory.LedgerAsync()).Count(r => ids.Contains(r.RequestId)) == ids.Count, "the requests in the ledger");
        await using (var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Ct))
        {
            Assert.Equal(0L, await db.MinuteRollups.SumAsync(r => r.Requests, Ct));
        }

        var now = DateTimeOffset.UtcNow;
        var range = MetricsRange.Create(kind, now);
        var headlines = await factory.Services.GetRequiredService<MetricsHistory>().HeadlinesAsync(range, MetricsFilter.None, now, Ct);

        var inRange = ledger.Where(r => r.Timestamp >= range.From && r.Timestamp < range.To).ToList();
        Assert.True(inRange.Count >= ids.Count);
        Assert.Equal((inRange.Count, inRange.Sum(r => r.CostNanoUsd)), (headlines.Range.Requests, headlines.Range.CostNanoUsd));
    }
}
