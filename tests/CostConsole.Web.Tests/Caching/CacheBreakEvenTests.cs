using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Routing.Caching;
using CostConsole.Web.Caching;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Caching;

/// <summary>The break-even hit rate: its arithmetic, and the measured figures it is computed from.</summary>
public sealed class CacheBreakEvenTests
{
    [Fact]
    public void In_time_the_cache_pays_once_the_hits_save_more_model_time_than_the_misses_spend_looking()
    {
        var even = new CacheBreakEven(TimeSpan.FromMilliseconds(2), TimeSpan.FromMilliseconds(0.5), TimeSpan.FromMilliseconds(498), 0.002m, 0m);

        // p·0.5 + (1 − p)·(2 + 498) = 498 at p = 2 / 499.5.
        Assert.Equal(2 / 499.5, even.TimeRate!.Value, 9);
        Assert.Equal(0, even.MoneyRate);
    }

    [Fact]
    public void In_money_a_billed_embedding_is_paid_back_at_its_share_of_an_answers_cost_and_a_hit_that_saves_no_time_never_pays()
    {
        var billed = new CacheBreakEven(TimeSpan.FromMilliseconds(1), TimeSpan.Zero, TimeSpan.FromMilliseconds(100), 0.002m, 0.0001m);
        Assert.Equal(0.05, billed.MoneyRate!.Value, 9);

        var slow = new CacheBreakEven(TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(3), 0m, 0.0001m);
        Assert.Null(slow.TimeRate);
        Assert.Null(slow.MoneyRate);
    }

    [Fact]
    public async Task The_break_even_is_computed_from_the_caches_own_lookup_timings_and_the_ledgers_model_answers()
    {
        await using var factory = new CacheFactory();
        var ct = TestContext.Current.CancellationToken;
        using var client = factory.CreateApiClient();
        foreach (var _ in Enumerable.Range(0, 2))
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "How do I merge two duplicate contacts?" } } }, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        using var scope = factory.Services.CreateScope();
        var service = scope.ServiceProvider.GetRequiredService<CacheService>();
        var ledger = await factory.LedgerAsync();
        var miss = ledger.Single(r => r.CacheLevel == "miss");
        var figures = await service.FiguresAsync(DateTimeOffset.UtcNow.AddDays(-7), ct);

        Assert.Equal((1, 1), (figures.MissesAnswered, service.Counters.MissesTimed));
        Assert.Equal(miss.LatencyMs, figures.MissLatencyMs, 6);
        Assert.Equal(Money.FromNanoUsd(miss.CostNanoUsd), figures.MissCost);
        var even = service.BreakEven(figures)!;
        Assert.Equal(service.Counters.AverageMissLookup, even.MissLookup);
        Assert.Equal(TimeSpan.FromMilliseconds(miss.LatencyMs) - even.MissLookup, even.ModelLatency);
        Assert.InRange(even.TimeRate!.Value, double.Epsilon, 1);
        Assert.Equal(0, even.MoneyRate);
        Assert.True(figures.MissCost > 0);
    }
}
