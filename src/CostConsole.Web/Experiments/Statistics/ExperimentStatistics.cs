using MathNet.Numerics.Distributions;
using MathNet.Numerics.Statistics;

namespace CostConsole.Web.Experiments.Statistics;

/// <summary>Count, mean and sample variance of one arm's values.</summary>
public readonly record struct SampleSummary(long N, double Mean, double Variance)
{
    public static SampleSummary Of(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
        {
            return new(0, 0, 0);
        }

        var (mean, variance) = MathNet.Numerics.Statistics.Statistics.MeanVariance(values);
        return new(values.Count, mean, values.Count < 2 ? 0 : variance);
    }
}

/// <summary>
/// A comparison of a variant with the control: the difference (variant − control) with its 95% confidence
/// interval and the two-sided p-value of the test. <see cref="Testable"/> is false when there is too little data.
/// </summary>
public sealed record Comparison(double Control, double Variant, double Difference, double Low, double High, double PValue, double? Statistic, double? DegreesOfFreedom)
{
    public bool Testable => !double.IsNaN(PValue);

    public bool Significant(double alpha = ExperimentStatistics.Alpha) => Testable && PValue < alpha;

    /// <summary>The difference relative to the control, with its interval (e.g. −0.31 = 31% lower); null when the control is zero.</summary>
    public (double Relative, double Low, double High)? Relative =>
        Control == 0 ? null : (Difference / Control, Low / Control, High / Control);

    public static Comparison Untestable(double control, double variant) => new(control, variant, variant - control, double.NaN, double.NaN, double.NaN, null, null);
}

/// <summary>
/// The tests behind an experiment's verdict, on distributions from MathNet.Numerics: Welch's t-test for means
/// (cost, latency), the two-proportion z-test for rates (escalation, resolution, CSAT ≥ 4), and the minimum
/// sample size per arm to detect a chosen difference. Pure functions, no state.
/// </summary>
public static class ExperimentStatistics
{
    public const double Alpha = 0.05;
    public const double Power = 0.8;

    /// <summary>Welch's unequal-variance t-test of variant against control.</summary>
    public static Comparison Welch(SampleSummary control, SampleSummary variant, double confidence = 0.95)
    {
        if (control.N < 2 || variant.N < 2)
        {
            return Comparison.Untestable(control.Mean, variant.Mean);
        }

        var a = control.Variance / control.N;
        var b = variant.Variance / variant.N;
        var se = Math.Sqrt(a + b);
        var difference = variant.Mean - control.Mean;
        if (se == 0)
        {
            // Both arms constant: any difference is exact.
            return new(control.Mean, variant.Mean, difference, difference, difference, difference == 0 ? 1 : 0, null, null);
        }

        var df = (a + b) * (a + b) / (a * a / (control.N - 1) + b * b / (variant.N - 1));
        var t = difference / se;
        var p = 2 * StudentT.CDF(0, 1, df, -Math.Abs(t));
        var critical = StudentT.InvCDF(0, 1, df, 1 - (1 - confidence) / 2);
        return new(control.Mean, variant.Mean, difference, difference - critical * se, difference + critical * se, p, t, df);
    }

    /// <summary>
    /// Two-proportion z-test (pooled standard error for the test, unpooled for the interval of the difference).
    /// </summary>
    public static Comparison TwoProportions(long controlHits, long controlN, long variantHits, long variantN, double confidence = 0.95)
    {
        if (controlN == 0 || variantN == 0)
        {
            return Comparison.Untestable(controlN == 0 ? 0 : (double)controlHits / controlN, variantN == 0 ? 0 : (double)variantHits / variantN);
        }

        var p1 = (double)controlHits / controlN;
        var p2 = (double)variantHits / variantN;
        var pooled = (double)(controlHits + variantHits) / (controlN + variantN);
        var sePooled = Math.Sqrt(pooled * (1 - pooled) * (1.0 / controlN + 1.0 / variantN));
        var seDiff = Math.Sqrt(p1 * (1 - p1) / controlN + p2 * (1 - p2) / variantN);
        var difference = p2 - p1;
        var critical = Normal.InvCDF(0, 1, 1 - (1 - confidence) / 2);
        if (sePooled == 0)
        {
            // Every request in both arms had the same result.
            return new(p1, p2, difference, difference, difference, 1, 0, null);
        }

        var z = difference / sePooled;
        var p = 2 * Normal.CDF(0, 1, -Math.Abs(z));
        return new(p1, p2, difference, difference - critical * seDiff, difference + critical * seDiff, p, z, null);
    }

    /// <summary>
    /// Units per arm needed to detect a change in a rate from <paramref name="baseline"/> to <paramref name="expected"/>
    /// with a two-sided test at <paramref name="alpha"/> and the given power.
    /// </summary>
    public static long SampleSizeForProportions(double baseline, double expected, double alpha = Alpha, double power = Power)
    {
        if (!(baseline is > 0 and < 1) || !(expected is > 0 and < 1) || baseline == expected)
        {
            throw new ArgumentOutOfRangeException(nameof(expected), "Both rates must lie strictly between 0 and 1 and differ.");
        }

        var zAlpha = Normal.InvCDF(0, 1, 1 - alpha / 2);
        var zBeta = Normal.InvCDF(0, 1, power);
        var mean = (baseline + expected) / 2;
        var numerator = zAlpha * Math.Sqrt(2 * mean * (1 - mean)) + zBeta * Math.Sqrt(baseline * (1 - baseline) + expected * (1 - expected));
        return (long)Math.Ceiling(numerator * numerator / ((baseline - expected) * (baseline - expected)));
    }

    /// <summary>Units per arm needed to detect a difference <paramref name="delta"/> in means with standard deviation <paramref name="sd"/>.</summary>
    public static long SampleSizeForMeans(double sd, double delta, double alpha = Alpha, double power = Power)
    {
        if (!(sd > 0) || !(Math.Abs(delta) > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), "The standard deviation and the difference must be positive.");
        }

        var z = Normal.InvCDF(0, 1, 1 - alpha / 2) + Normal.InvCDF(0, 1, power);
        return (long)Math.Ceiling(2 * z * z * sd * sd / (delta * delta));
    }

    /// <summary>The p-th percentile (0–100) by linear interpolation between closest ranks; NaN when empty.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0)
        {
            return double.NaN;
        }

        return SortedArrayStatistics.QuantileCustom(sorted as double[] ?? [.. sorted], p / 100, QuantileDefinition.R7);
    }
}
