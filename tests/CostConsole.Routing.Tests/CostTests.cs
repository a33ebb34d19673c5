using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Pricing;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class CostTests
{
    [Fact]
    public void Cost_bills_uncached_cached_and_completion_tokens_at_their_own_rates()
    {
        var price = new ModelPrice("sim/big", PriceStart, 2.00m, 0.50m, 8.00m);

        // 1,000 prompt tokens of which 400 cached, 500 completion:
        // 600 × $2/M + 400 × $0.50/M + 500 × $8/M = 0.0012 + 0.0002 + 0.004
        var cost = CostCalculator.Cost(price, new TokenUsage(1_000, 400, 500));

        Assert.Equal(0.0054m, cost);
    }

    [Fact]
    public void Cached_tokens_without_a_cached_price_are_billed_as_input()
    {
        var price = new ModelPrice("backup/big-backup", PriceStart, 1.00m, null, 4.00m);

        Assert.Equal(0.001m, CostCalculator.Cost(price, new TokenUsage(1_000, 1_000, 0)));
    }

    [Fact]
    public void A_request_is_priced_at_the_version_in_force_at_its_time()
    {
        var change = PriceStart.AddDays(10);
        var book = new PriceBook([
            new ModelPrice("sim/mini", change, 0.80m, null, 3.20m),
            new ModelPrice("sim/mini", PriceStart, 0.40m, null, 1.60m),
        ]);
        var usage = new TokenUsage(1_000_000, 0, 1_000_000);

        Assert.Equal(2.00m, CostCalculator.Cost(book, "sim/mini", change.AddTicks(-1), usage));
        Assert.Equal(4.00m, CostCalculator.Cost(book, "sim/mini", change, usage));
        Assert.Null(CostCalculator.Cost(book, "sim/mini", PriceStart.AddTicks(-1), usage));
        Assert.Null(CostCalculator.Cost(book, "sim/unknown", change, usage));
    }

    [Fact]
    public void Baseline_prices_the_same_tokens_at_the_baseline_model()
    {
        var snapshot = Snapshot();
        var usage = new TokenUsage(2_000, 0, 300);
        var at = PriceStart.AddDays(1);

        var actual = CostCalculator.Cost(snapshot.Prices, "sim/nano", at, usage)!.Value;
        var baseline = CostCalculator.Cost(snapshot.Prices, snapshot.Baseline!.Key, at, usage)!.Value;

        Assert.Equal(0.00032m, actual);
        Assert.Equal(0.0064m, baseline);
        Assert.Equal(0.00608m, baseline - actual);
    }
}
