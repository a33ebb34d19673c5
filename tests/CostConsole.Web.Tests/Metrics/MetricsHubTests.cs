using System.Collections.Concurrent;
using CostConsole.Data;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace CostConsole.Web.Tests.Metrics;

public sealed class MetricsHubTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private HubConnection Connect(string? key) => new HubConnectionBuilder()
        .WithUrl(new Uri(factory.BaseAddress, MetricsHub.Path), o => o.AccessTokenProvider = () => Task.FromResult(key))
        .Build();

    [Fact]
    public async Task A_hub_client_receives_ticks_whose_totals_match_the_ledger_for_the_requests_sent()
    {
        await using var connection = Connect(CostConsoleFactory.ApiKey);
        var ticks = new ConcurrentQueue<MetricsTick>();
        connection.On<MetricsTick>(MetricsHub.TickMethod, ticks.Enqueue);
        await connection.StartAsync();
        await TrafficSender.WaitUntilAsync(() => Task.FromResult(!ticks.IsEmpty), "the first tick");

        var factoryFault = factory.Simulator.Find("gpt-4.1-nano")!;
        factory.Simulator.Update(factoryFault with { ErrorRate = 0.5 });
        List<string> ids;
        try
        {
            ids = await TrafficSender.SendMixAsync(factory, rounds: 6);
        }
        finally
        {
            factory.Simulator.Update(factoryFault);
        }

        await TrafficSender.WaitUntilAsync(() => Task.FromResult(ticks.Sum(t => t.Requests) >= ids.Count), "ticks covering every request");
        var sent = ids.ToHashSet();
        var ledger = (await factory.LedgerAsync()).Where(r => sent.Contains(r.RequestId)).ToList();
        var received = ticks.ToList();

        Assert.Equal(ids.Count, ledger.Count);
        Assert.Equal(ledger.Count, received.Sum(t => t.Requests));
        Assert.Equal(Money.FromNanoUsd(ledger.Sum(r => r.CostNanoUsd)), received.Sum(t => t.Spend));
        Assert.Equal(Money.FromNanoUsd(ledger.Sum(r => r.BaselineCostNanoUsd)), received.Sum(t => t.Baseline));
        Assert.Equal(ledger.Count(r => r.Status == 2), received.Sum(t => t.Rejected));
        Assert.Equal(ledger.Count(r => r.Status != 0), received.Sum(t => t.Errors));
        Assert.Equal(ledger.Sum(r => r.Fallbacks), received.Sum(t => t.Fallbacks));
        Assert.True(ledger.Sum(r => r.Fallbacks) > 0, "The faulty small model should have caused fallbacks.");
        foreach (var tier in ledger.Where(r => r.Tier is not null).Select(r => r.Tier!).Distinct())
        {
            Assert.Equal(Money.FromNanoUsd(ledger.Where(r => r.Tier == tier).Sum(r => r.CostNanoUsd)), received.Sum(t => t.SpendByTier.GetValueOrDefault(tier)));
            Assert.Equal(ledger.Count(r => r.Tier == tier), received.Sum(t => t.RequestsByTier.GetValueOrDefault(tier)));
        }

        foreach (var model in ledger.Where(r => r.Model is not null).Select(r => r.Model!).Distinct())
        {
            Assert.Equal(Money.FromNanoUsd(ledger.Where(r => r.Model == model).Sum(r => r.CostNanoUsd)), received.Sum(t => t.SpendByModel.GetValueOrDefault(model)));
        }

        Assert.Equal(ledger.Count(r => r.Escalations > 0), received.Sum(t => t.Escalations));
        // One tick a second, none missing.
        Assert.Equal(Enumerable.Range(0, received.Count).Select(i => received[0].Sequence + i), received.Select(t => t.Sequence));
        Assert.All(received.Zip(received.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(1), pair.Second.Time - pair.First.Time));
    }

    [Fact]
    public async Task A_client_that_just_connected_can_ask_for_the_recent_ticks()
    {
        await using var connection = Connect(CostConsoleFactory.ApiKey);
        await connection.StartAsync();
        IReadOnlyList<MetricsTick> recent = [];
        await TrafficSender.WaitUntilAsync(async () => (recent = await connection.InvokeAsync<IReadOnlyList<MetricsTick>>(nameof(MetricsHub.Recent), 60)).Count > 0, "a recent tick");

        Assert.True(recent.Count <= 60);
        Assert.Equal(recent.OrderBy(t => t.Sequence).Select(t => t.Sequence), recent.Select(t => t.Sequence));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("cc-not-a-key")]
    public async Task The_hub_turns_away_a_client_without_a_valid_key(string? key)
    {
        await using var connection = Connect(key);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
    }
}
