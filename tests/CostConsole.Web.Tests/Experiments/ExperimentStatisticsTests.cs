using CostConsole.Web.Experiments.Statistics;

namespace CostConsole.Web.Tests.Experiments;

public sealed class ExperimentStatisticsTests
{
    // Wikipedia, "Welch's t-test", example 1: t = 2.46, ν = 24.99, p = 0.021 (variant = A2, control = A1).
    private static readonly double[] A1 = [27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4];
    private static readonly double[] A2 = [27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4];

    [Fact]
    public void Welch_matches_the_textbook_example()
    {
        var result = ExperimentStatistics.Welch(SampleSummary.Of(A1), SampleSummary.Of(A2));

        Assert.Equal(2.4554, result.Statistic!.Value, 4);
        Assert.Equal(24.9885, result.DegreesOfFreedom!.Value, 4);
        Assert.Equal(0.02138, result.PValue, 5);
        Assert.Equal(2.16667, result.Difference, 5);

        // Interval: difference ± t(0.975, 24.99) · se, with t = 2.05959 computed by integrating the t density in Python.
        Assert.Equal(0.34924, result.Low, 4);
        Assert.Equal(3.98410, result.High, 4);
        Assert.True(result.Significant());
    }

    [Fact]
    public void Welch_with_unequal_sizes_and_variances_matches_independent_values()
    {
        // Computed independently (Python: statistics.variance, t tail by numerical integration of the t density):
        // t = -5.33379, ν = 13.2303, p = 0.000127854, CI of the difference -0.46694 … -0.19806.
        double[] control = [0.8, 1.2, 0.9, 1.1, 1.0, 0.95, 1.05, 1.3, 0.7, 1.0];
        double[] variant = [0.6, 0.7, 0.65, 0.9, 0.5, 0.75, 0.8, 0.55, 0.7, 0.6, 0.72, 0.68, 0.66, 0.71, 0.69, 0.9, 0.4, 0.62, 0.58, 0.64];

        var result = ExperimentStatistics.Welch(SampleSummary.Of(control), SampleSummary.Of(variant));

        Assert.Equal(-5.33379, result.Statistic!.Value, 4);
        Assert.Equal(13.2303, result.DegreesOfFreedom!.Value, 3);
        Assert.Equal(0.000127854, result.PValue, 7);
        Assert.Equal(-0.46694, result.Low, 4);
        Assert.Equal(-0.19806, result.High, 4);
        Assert.Equal(-0.3325 / 1.0, result.Relative!.Value.Relative, 4);
    }

    [Fact]
    public void Two_proportions_match_independent_values()
    {
        // 420/500 vs 385/500 resolved. Python statistics.NormalDist: z = -2.79353, p = 0.00521368,
        // difference -0.07, 95% CI (unpooled) -0.118921 … -0.021079.
        var result = ExperimentStatistics.TwoProportions(420, 500, 385, 500);

        Assert.Equal(-2.79353, result.Statistic!.Value, 4);
        Assert.Equal(0.00521368, result.PValue, 7);
        Assert.Equal(-0.07, result.Difference, 10);
        Assert.Equal(-0.118921, result.Low, 5);
        Assert.Equal(-0.021079, result.High, 5);

        // 30/1000 vs 52/1000 escalated: z = 2.48088, p = 0.0131057.
        var escalations = ExperimentStatistics.TwoProportions(30, 1000, 52, 1000);
        Assert.Equal(2.48088, escalations.Statistic!.Value, 4);
        Assert.Equal(0.0131057, escalations.PValue, 6);
    }

    [Fact]
    public void Equal_rates_are_not_significant()
    {
        var result = ExperimentStatistics.TwoProportions(50, 100, 50, 100);

        Assert.Equal(1, result.PValue, 10);
        Assert.False(result.Significant());
    }

    [Fact]
    public void Sample_sizes_match_the_textbook_formulas()
    {
        // Fleiss without continuity correction, α = 0.05 two-sided, power 0.8: 10% → 15% needs 686 per group.
        Assert.Equal(686, ExperimentStatistics.SampleSizeForProportions(0.10, 0.15));
        Assert.Equal(1094, ExperimentStatistics.SampleSizeForProportions(0.80, 0.75));

        // Means: σ = 1, δ = 0.5 → 2 (1.96 + 0.84)² / 0.25 = 62.8 → 63 per group.
        Assert.Equal(63, ExperimentStatistics.SampleSizeForMeans(1, 0.5));
    }

    [Fact]
    public void Too_little_data_gives_no_test()
    {
        Assert.False(ExperimentStatistics.Welch(SampleSummary.Of([1.0]), SampleSummary.Of([1.0, 2.0])).Testable);
        Assert.False(ExperimentStatistics.TwoProportions(0, 0, 3, 10).Testable);
        Assert.Throws<ArgumentOutOfRangeException>(() => ExperimentStatistics.SampleSizeForProportions(0.8, 0.8));
    }

    [Fact]
    public void Percentiles_interpolate_between_ranks()
    {
        double[] sorted = [10, 20, 30, 40, 50];
        Assert.Equal(30, ExperimentStatistics.Percentile(sorted, 50));
        Assert.Equal(48, ExperimentStatistics.Percentile(sorted, 95), 10);
        Assert.True(double.IsNaN(ExperimentStatistics.Percentile([], 50)));
    }
}
