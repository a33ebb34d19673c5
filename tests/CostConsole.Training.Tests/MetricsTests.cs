namespace CostConsole.Training.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Auroc_is_the_share_of_positive_negative_pairs_ranked_right()
    {
        // Positives 0.35 and 0.8, negatives 0.1 and 0.4: 3 of 4 pairs are in order.
        Assert.Equal(0.75, RouterMetrics.Auroc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]));
    }

    [Fact]
    public void Auroc_counts_ties_as_half_and_is_undefined_with_one_class()
    {
        Assert.Equal(0.5, RouterMetrics.Auroc([0.5, 0.5], [false, true]));
        Assert.Null(RouterMetrics.Auroc([0.2, 0.7], [true, true]));
    }

    [Fact]
    public void Apgr_and_cpt_match_the_hand_computed_curve()
    {
        // The weak tier fails examples 1 and 2; the strong tier answers all. Sending those two first recovers the
        // gap by half at a quarter of strong calls and fully at a half: area 0.0625 + 0.1875 + 0.25 + 0.25 = 0.75.
        double[] weak = [1, 0, 0, 1];
        double[] strong = [1, 1, 1, 1];

        var best = RouterMetrics.GapRecovered([0.5, 0.9, 0.8, 0.1], weak, strong)!;
        var worst = RouterMetrics.GapRecovered([0.9, 0.2, 0.1, 0.8], weak, strong)!;

        Assert.Equal(0.75, best.Apgr, 9);
        Assert.Equal(0.25, best.Cpt50);
        Assert.Equal(0.5, best.Cpt80);
        Assert.Equal(0.25, worst.Apgr, 9);
        Assert.Equal(0.75, worst.Cpt50);
    }

    [Fact]
    public void Apgr_is_undefined_when_both_tiers_are_equally_good()
    {
        Assert.Null(RouterMetrics.GapRecovered([0.1, 0.2], [1, 0], [0, 1]));
    }

    [Fact]
    public void A_random_router_with_the_same_shares_earns_the_tiers_mean_quality()
    {
        // Small answers example 0 only; large answers both. Routing 0 → small and 1 → large is perfect (quality 1);
        // a random router with the same 50/50 shares averages 0.5 × 0.5 + 0.5 × 1 = 0.75.
        var set = new LabelledSet(["small", "large"], [LabelledSet.FromCheapestTier("a", 0, 2), LabelledSet.FromCheapestTier("b", 1, 2)], "");

        var point = RouterEvaluator.Routed(set, e => e.Prompt == "a" ? 0 : 1, [0.1, 1]);

        Assert.Equal(1.0, point.Quality);
        Assert.Equal(0.75, point.RandomQuality);
        Assert.Equal(0.25, point.LiftOverRandom);
        Assert.Equal(0.55, point.RelativeCost, 9);
    }
}
