using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Ledger;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Keys;
using CostConsole.Web.Metrics;
using System.Net.Http.Json;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Metrics;

public class RollupTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private RollupStore Store => factory.Services.GetRequiredService<RollupStore>();

    [Fact]
    public async Task Rollups_equal_the_ledger_summed_per_minute_and_per_hour_including_late_and_old_requests()
    {
        await TrafficSender.SendMixAsync(factory, rounds: 5);
        // Requests that reach the ledger long after their minute: one from two hours ago, one from last month.
        var ledger = factory.Services.GetRequiredService<LedgerWriter>();
        var now = DateTimeOffset.UtcNow;
        foreach (var (ago, cost) in new[] { (TimeSpan.FromHours(2), 0.0123m), (TimeSpan.FromDays(31), 0.5m), (TimeSpan.FromHours(2), 0.0001m) })
        {
            await ledger.RecordAsync(Entry(now - ago, cost));
        }

        await Store.FlushAsync();
        await AssertRollupsMatchLedgerAsync();

        // One more late request for a period that was written and left memory: it adds to the stored rows.
        await ledger.RecordAsync(Entry(now - TimeSpan.FromDays(31), 0.25m));
        await Store.FlushAsync();
        await AssertRollupsMatchLedgerAsync();
    }

    [Fact]
    public async Task Lost_rollups_are_rebuilt_from_the_ledger_even_while_traffic_goes_on()
    {
        await TrafficSender.SendMixAsync(factory, rounds: 3);
        await Store.FlushAsync();
        await using (var db = await Factory().CreateDbContextAsync())
        {
            await db.MinuteRollups.ExecuteDeleteAsync();
            await db.HourRollups.ExecuteDeleteAsync();
        }

        var traffic = TrafficSender.SendMixAsync(factory, rounds: 6);
        var rebuilt = await Store.RebuildAsync(DateTimeOffset.UnixEpoch);
        await traffic;
        await Store.FlushAsync();

        Assert.True(rebuilt.LedgerRows > 0);
        await AssertRollupsMatchLedgerAsync();
    }

    [Fact]
    public async Task The_thirty_day_view_adds_up_to_the_ledger()
    {
        await TrafficSender.SendMixAsync(factory, rounds: 2);
        await Store.FlushAsync();
        var history = factory.Services.GetRequiredService<MetricsHistory>();
        var range = MetricsRange.Create(RangeKind.Month, DateTimeOffset.UtcNow.AddMinutes(1));

        var view = await history.LoadAsync(range, MetricsFilter.None);

        var rows = (await factory.LedgerAsync()).Where(r => r.Timestamp >= range.From).ToList();
        Assert.Equal(rows.Count, view.Totals.Requests);
        Assert.Equal(rows.Sum(r => r.CostNanoUsd), view.Totals.CostNanoUsd);
        Assert.Equal(rows.Sum(r => r.BaselineCostNanoUsd), view.Totals.BaselineCostNanoUsd);
        Assert.Equal(rows.Count(r => r.Status != 0), view.Totals.Errors);
        Assert.Equal(rows.Count(r => r.Fallbacks > 0), view.Totals.FallbackRequests);
        Assert.Equal(view.Totals.Requests, view.Buckets.Sum(b => b.Totals.Requests));
        Assert.Equal(view.Totals.Spend, view.SpendByTier.Values.Sum());
    }

    [Fact]
    public async Task Spend_stays_with_the_team_a_key_had_when_the_request_was_made_in_the_ledger_the_rollups_and_the_dashboard()
    {
        var ct = TestContext.Current.CancellationToken;
        var keys = factory.Services.GetRequiredService<KeyService>();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (_, moving) = await keys.CreateAsync(new KeyForm { Name = "helpdesk-" + suffix, Team = "support-" + suffix }, "alice", cancellationToken: ct);
        var (_, staying) = await keys.CreateAsync(new KeyForm { Name = "ledger-bot-" + suffix, Team = "finance-" + suffix }, "alice", cancellationToken: ct);
        await SendAsync(moving!.Secret, 3);
        await SendAsync(staying!.Secret, 2);

        // The helpdesk key moves to sales: what it spent before stays with support.
        var moved = await keys.UpdateAsync(moving.Id, new KeyForm { Name = "helpdesk-" + suffix, Team = "sales-" + suffix }, "alice", cancellationToken: ct);
        Assert.True(moved.Saved, moved.Summary);
        await SendAsync(moving.Secret, 4);
        await Store.FlushAsync(ct);

        var ledger = await factory.LedgerAsync();
        Assert.Equal(3, ledger.Count(r => r.Team == "support-" + suffix));
        Assert.Equal(4, ledger.Count(r => r.Team == "sales-" + suffix));
        Assert.Equal(2, ledger.Count(r => r.Team == "finance-" + suffix));
        await AssertRollupsMatchLedgerAsync();

        var history = factory.Services.GetRequiredService<MetricsHistory>();
        var range = MetricsRange.Create(RangeKind.Day, DateTimeOffset.UtcNow.AddMinutes(1));
        foreach (var team in new[] { "support-", "sales-", "finance-" }.Select(t => t + suffix))
        {
            var filter = new MetricsFilter(Team: team);
            await history.ValidateAsync(filter, ct);
            var view = await history.LoadAsync(range, filter, ct);
            var rows = ledger.Where(r => r.Team == team).ToList();
            Assert.Equal(rows.Count, view.Totals.Requests);
            Assert.Equal(rows.Sum(r => r.CostNanoUsd), view.Totals.CostNanoUsd);
            Assert.Equal(rows.Sum(r => r.BaselineCostNanoUsd), view.Totals.BaselineCostNanoUsd);
        }

        // Team and key together: the helpdesk key's requests while it was in sales.
        var both = await history.LoadAsync(range, new MetricsFilter(ApiKeyId: moving.Id, Team: "sales-" + suffix), ct);
        Assert.Equal(4, both.Totals.Requests);
        Assert.Contains("sales-" + suffix, (await history.ChoicesAsync(ct)).Teams);
        var unknown = await Assert.ThrowsAsync<MetricsInputException>(() => history.ValidateAsync(new MetricsFilter(Team: "nobody-" + suffix), ct));
        Assert.Contains("Unknown team 'nobody-" + suffix + "'", unknown.Message, StringComparison.Ordinal);

        async Task SendAsync(string secret, int count)
        {
            using var client = factory.CreateApiClient(secret);
            for (var i = 0; i < count; i++)
            {
                using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = TrafficSender.Faq } } }, ct);
                response.EnsureSuccessStatusCode();
            }
        }
    }

    private IDbContextFactory<CostConsoleDbContext> Factory() => factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();

    private async Task AssertRollupsMatchLedgerAsync()
    {
        await using var db = await Factory().CreateDbContextAsync();
        var ledger = await db.RequestLog.AsNoTracking().ToListAsync();
        Assert.Equal(Expected(ledger, RollupGrid.MinuteMs), Actual(await db.MinuteRollups.AsNoTracking().ToListAsync()));
        Assert.Equal(Expected(ledger, RollupGrid.HourMs), Actual(await db.HourRollups.AsNoTracking().ToListAsync()));
    }

    /// <summary>The ledger summed directly, per period × tier × model × key × team × rule, as comparable text lines.</summary>
    internal static List<string> Expected(List<RequestLogRow> ledger, long periodMs) =>
        [.. ledger
            .GroupBy(r => (Start: RollupGrid.Floor(r.Timestamp.ToUnixTimeMilliseconds(), periodMs), r.Tier, r.Model, r.ApiKeyId, r.Team, r.Rule))
            .Select(g =>
            {
                var histogram = new LatencyHistogram();
                foreach (var row in g)
                {
                    histogram.Add(row.LatencyMs);
                }

                return Line(g.Key.Start, g.Key.Tier, g.Key.Model, g.Key.ApiKeyId, g.Key.Team, g.Key.Rule, g.LongCount(), g.LongCount(r => r.Status == 0), g.LongCount(r => r.Status == 1),
                    g.LongCount(r => r.Status == 2), g.LongCount(r => r.Fallbacks > 0), g.Sum(r => (long)r.Fallbacks), g.Sum(r => r.PromptTokens), g.Sum(r => r.CachedTokens),
                    g.Sum(r => r.CacheWriteTokens), g.Sum(r => r.CompletionTokens), g.Sum(r => r.CostNanoUsd), g.Sum(r => r.BaselineCostNanoUsd), histogram);
            })
            .Order(StringComparer.Ordinal)];

    internal static List<string> Actual(IEnumerable<RollupRow> rows) =>
        [.. rows
            .Select(r => Line(r.Start, r.Tier, r.Model, r.ApiKeyId, r.Team, r.Rule, r.Requests, r.Answered, r.Failed, r.Rejected, r.FallbackRequests, r.Fallbacks, r.PromptTokens,
                r.CachedTokens, r.CacheWriteTokens, r.CompletionTokens, r.CostNanoUsd, r.BaselineCostNanoUsd, LatencyHistogram.Decode(r.LatencyHistogram)))
            .Order(StringComparer.Ordinal)];

    private static string Line(long start, string? tier, string? model, long? key, string? team, string? rule, params object[] sums)
    {
        var histogram = (LatencyHistogram)sums[^1];
        var buckets = string.Join(",", Enumerable.Range(0, LatencyHistogram.BucketCount).Where(i => histogram[i] > 0).Select(i => $"{i}:{histogram[i]}"));
        return $"{start}|{tier}|{model}|{key}|{team}|{rule}|{string.Join("|", sums[..^1])}|{buckets}";
    }

    private static LedgerEntry Entry(DateTimeOffset at, decimal cost) => new()
    {
        RequestId = "req_" + Guid.CreateVersion7(at).ToString("N"),
        Timestamp = at,
        Tier = "medium",
        Model = "simulator/gpt-4.1-mini",
        Provider = "simulator",
        Rule = "drafting",
        PromptTokens = 120,
        CachedTokens = 40,
        CacheWriteTokens = 30,
        CompletionTokens = 80,
        Cost = cost,
        BaselineCost = cost * 5,
        Priced = true,
        LatencyMs = 850,
        Status = LedgerStatus.Answered,
        HttpStatus = 200,
    };
}
