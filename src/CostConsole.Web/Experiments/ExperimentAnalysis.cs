using System.Globalization;
using CostConsole.Web.Experiments.Statistics;

namespace CostConsole.Web.Experiments;

/// <summary>One request of an experiment with its outcome feedback, as the analysis reads it.</summary>
public sealed record ExperimentSample(
    string RequestId,
    DateTimeOffset Timestamp,
    string Arm,
    decimal Cost,
    double LatencyMs,
    bool Answered,
    bool Fallback,
    bool Escalated,
    bool? Resolved,
    int? Csat,
    bool RefusedByBudget = false);

/// <summary>The live figures of one arm.</summary>
public sealed record ArmMetrics(
    string Arm,
    int Weight,
    long Requests,
    decimal Cost,
    decimal? CostPerRequest,
    decimal? CostPerResolved,
    double? EscalationRate,
    double? FallbackRate,
    double? ErrorRate,
    double? LatencyP50,
    double? LatencyP95,
    long ResolutionOutcomes,
    double? ResolutionRate,
    long CsatOutcomes,
    double? CsatMean,
    double? CsatShare4)
{
    /// <summary>Requests a budget refused: counted apart, not as errors of the arm's models.</summary>
    public long BudgetRefusals { get; init; }
}

/// <summary>One metric of a variant against the control, with the plain sentence the verdict panel shows.</summary>
public sealed record MetricVerdict(string Metric, Comparison Comparison, string Sentence, bool LowerIsBetter, bool Relative);

public sealed record VariantVerdict(string Arm, IReadOnlyList<MetricVerdict> Metrics)
{
    public string Summary => string.Join("; ", Metrics.Select(m => m.Sentence)) + ".";

    /// <summary>The reading in plain words, ending with what to do: ship the variant, keep the control, or wait.</summary>
    public string Recommendation { get; init; } = "";
}

/// <summary>One arm's values in one time bucket, for the charts.</summary>
public sealed record ArmPoint(string Arm, DateTimeOffset Start, long Requests, decimal? CostPerRequest, double? ResolutionRate, double? LatencyP95);

public sealed record ExperimentResults(
    IReadOnlyList<ArmMetrics> Arms,
    long RequiredPerArm,
    long SmallestArmOutcomes,
    IReadOnlyList<VariantVerdict> Verdicts,
    IReadOnlyList<ArmPoint> Series,
    TimeSpan Bucket)
{
    /// <summary>Every arm has the outcomes the minimum sample size asks for; before that no verdict is shown.</summary>
    public bool ReachedSampleSize => Arms.Count >= 2 && SmallestArmOutcomes >= RequiredPerArm;
}

/// <summary>Turns an experiment's requests into per-arm figures, tests against the control and a time series.</summary>
public static class ExperimentAnalysis
{
    private static readonly TimeSpan[] Buckets =
    [
        TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15),
        TimeSpan.FromHours(1), TimeSpan.FromHours(6), TimeSpan.FromDays(1),
    ];

    /// <param name="arms">The arms in order, the control first, with their weights.</param>
    public static ExperimentResults Analyze(IReadOnlyList<(string Name, int Weight)> arms, IReadOnlyList<ExperimentSample> samples, long requiredPerArm)
    {
        var byArm = samples.GroupBy(s => s.Arm, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.OrdinalIgnoreCase);
        var lists = arms.Select(a => byArm.GetValueOrDefault(a.Name) ?? []).ToList();
        var metrics = arms.Select((a, i) => Metrics(a.Name, a.Weight, lists[i])).ToList();

        var verdicts = new List<VariantVerdict>();
        for (var i = 1; i < arms.Count; i++)
        {
            var verdict = Compare(arms[i].Name, lists[0], lists[i]);
            var outcomes = Math.Min(metrics[0].ResolutionOutcomes, metrics[i].ResolutionOutcomes);
            verdicts.Add(verdict with { Recommendation = Recommend(arms[i].Name, arms[0].Name, verdict, Math.Max(0, requiredPerArm - outcomes)) });
        }

        var (series, bucket) = Series(arms, samples);
        return new ExperimentResults(metrics, requiredPerArm, metrics.Count == 0 ? 0 : metrics.Min(m => m.ResolutionOutcomes), verdicts, series, bucket);
    }

    private static ArmMetrics Metrics(string arm, int weight, List<ExperimentSample> rows)
    {
        long n = rows.Count;
        var cost = rows.Sum(r => r.Cost);
        var resolvedRows = rows.Where(r => r.Resolved is not null).ToList();
        var resolved = resolvedRows.Count(r => r.Resolved == true);
        var csat = rows.Where(r => r.Csat is not null).Select(r => r.Csat!.Value).ToList();
        var latencies = rows.Where(r => r.Answered).Select(r => r.LatencyMs).Order().ToList();
        var refused = rows.Count(r => r.RefusedByBudget);
        return new ArmMetrics(
            arm,
            weight,
            n,
            cost,
            n == 0 ? null : cost / n,
            resolved == 0 ? null : cost / resolved,
            Rate(rows.Count(r => r.Escalated), n),
            Rate(rows.Count(r => r.Fallback), n),
            Rate(rows.Count(r => !r.Answered && !r.RefusedByBudget), n - refused),
            latencies.Count == 0 ? null : ExperimentStatistics.Percentile(latencies, 50),
            latencies.Count == 0 ? null : ExperimentStatistics.Percentile(latencies, 95),
            resolvedRows.Count,
            Rate(resolved, resolvedRows.Count),
            csat.Count,
            csat.Count == 0 ? null : csat.Average(),
            Rate(csat.Count(c => c >= 4), csat.Count))
        {
            BudgetRefusals = refused,
        };
    }

    /// <summary>
    /// "Ship nano: it costs 41% less per request (95% CI 33–48%) with no detectable change in resolution rate (−1.2
    /// points, 95% CI −4.0 to +1.6)." — or keep the control, or wait for <paramref name="missingOutcomes"/> more.
    /// Resolution comes first: a variant that resolves fewer cases is never recommended for its savings.
    /// </summary>
    public static string Recommend(string arm, string control, VariantVerdict verdict, long missingOutcomes)
    {
        var cost = verdict.Metrics.First(m => m.Metric == "Cost per request").Comparison;
        var resolution = verdict.Metrics.First(m => m.Metric == "Resolution rate (FCR)").Comparison;
        if (!resolution.Testable || missingOutcomes > 0)
        {
            return missingOutcomes > 0
                ? $"Not enough data to judge {arm} yet: about {missingOutcomes:N0} more requests with resolution feedback per arm."
                : $"Not enough resolution feedback to judge {arm} yet.";
        }

        var resolutionText = $"{Signed(resolution.Difference * 100)} points, 95% CI {Signed(resolution.Low * 100)} to {Signed(resolution.High * 100)}";
        if (resolution.Significant() && resolution.Difference < 0)
        {
            return $"Keep {control}: {arm} resolves fewer cases ({resolutionText}), whatever it saves.";
        }

        var costText = cost.Relative is { } r
            ? $"{Math.Abs(r.Relative) * 100:0.#}% {(r.Relative < 0 ? "less" : "more")} per request (95% CI {Math.Min(Math.Abs(r.Low), Math.Abs(r.High)) * 100:0.#}–{Math.Max(Math.Abs(r.Low), Math.Abs(r.High)) * 100:0.#}%)"
            : "a different cost per request";
        var resolvesMore = resolution.Significant() && resolution.Difference > 0;
        if (cost.Significant() && cost.Difference < 0)
        {
            return resolvesMore
                ? $"Ship {arm}: it costs {costText} and resolves more cases ({resolutionText})."
                : $"Ship {arm}: it costs {costText} with no detectable change in resolution rate ({resolutionText}).";
        }

        if (cost.Significant() && cost.Difference > 0)
        {
            return resolvesMore
                ? $"Weigh it: {arm} resolves more cases ({resolutionText}) but costs {costText}."
                : $"Keep {control}: {arm} costs {costText} and resolves no more cases ({resolutionText}).";
        }

        return resolvesMore
            ? $"Ship {arm}: it resolves more cases ({resolutionText}) at no detectable difference in cost."
            : $"Keep {control}: no detectable difference in cost or resolution ({resolutionText}); {arm} changes nothing worth shipping.";
    }

    private static string Signed(double value) => value.ToString("+0.0;−0.0;0.0", CultureInfo.InvariantCulture);

    private static double? Rate(long hits, long n) => n == 0 ? null : (double)hits / n;

    private static VariantVerdict Compare(string arm, List<ExperimentSample> control, List<ExperimentSample> variant)
    {
        var cost = ExperimentStatistics.Welch(
            SampleSummary.Of([.. control.Select(r => (double)r.Cost)]),
            SampleSummary.Of([.. variant.Select(r => (double)r.Cost)]));
        var latency = ExperimentStatistics.Welch(
            SampleSummary.Of([.. control.Where(r => r.Answered).Select(r => r.LatencyMs)]),
            SampleSummary.Of([.. variant.Where(r => r.Answered).Select(r => r.LatencyMs)]));
        var escalation = ExperimentStatistics.TwoProportions(control.Count(r => r.Escalated), control.Count, variant.Count(r => r.Escalated), variant.Count);
        var resolution = Proportion(control, variant, r => r.Resolved, r => r.Resolved == true);
        var csat4 = Proportion(control, variant, r => r.Csat, r => r.Csat >= 4);

        return new VariantVerdict(arm,
        [
            new("Cost per request", cost, Sentence("cost per request", cost, relative: true, "cheaper", "more expensive"), true, true),
            new("Escalation rate", escalation, Sentence("escalation rate", escalation, relative: false, "lower", "higher"), true, false),
            new("Resolution rate (FCR)", resolution, Sentence("resolution rate", resolution, relative: false, "lower", "higher"), false, false),
            new("CSAT ≥ 4", csat4, Sentence("share of CSAT ≥ 4", csat4, relative: false, "lower", "higher"), false, false),
            new("Latency", latency, Sentence("latency", latency, relative: true, "faster", "slower"), true, true),
        ]);
    }

    private static Comparison Proportion(List<ExperimentSample> control, List<ExperimentSample> variant, Func<ExperimentSample, object?> has, Func<ExperimentSample, bool> hit)
    {
        var c = control.Where(r => has(r) is not null).ToList();
        var v = variant.Where(r => has(r) is not null).ToList();
        return ExperimentStatistics.TwoProportions(c.Count(hit), c.Count, v.Count(hit), v.Count);
    }

    /// <summary>
    /// "variant is 31% cheaper per request (95% CI 27–35%, p &lt; 0.001)" or "escalation rate not significantly
    /// different (p = 0.41)". Rates are differences in percentage points; costs and latency are relative to the control.
    /// </summary>
    public static string Sentence(string metric, Comparison c, bool relative, string lowerWord, string higherWord)
    {
        if (!c.Testable)
        {
            return $"{metric}: not enough data";
        }

        if (!relative && c.Control == 0 && c.Variant == 0)
        {
            return $"{metric}: none in either arm";
        }

        var p = PValue(c.PValue);
        if (!c.Significant())
        {
            return $"{metric} not significantly different ({p})";
        }

        var lower = c.Difference < 0;
        var word = lower ? lowerWord : higherWord;
        if (relative && c.Relative is { } r)
        {
            var (a, b) = Order(Math.Abs(r.Low) * 100, Math.Abs(r.High) * 100);
            return $"{metric} {Math.Abs(r.Relative) * 100:0.#}% {word} (95% CI {a:0.#}–{b:0.#}%, {p})";
        }

        var (lo, hi) = Order(Math.Abs(c.Low) * 100, Math.Abs(c.High) * 100);
        return $"{metric} {Math.Abs(c.Difference) * 100:0.#} points {word} ({c.Control * 100:0.#}% → {c.Variant * 100:0.#}%, 95% CI {lo:0.#}–{hi:0.#} points, {p})";
    }

    public static string PValue(double p) => p < 0.001 ? "p < 0.001" : "p = " + p.ToString(p < 0.1 ? "0.000" : "0.00", CultureInfo.InvariantCulture);

    private static (double, double) Order(double a, double b) => a <= b ? (a, b) : (b, a);

    private static (IReadOnlyList<ArmPoint>, TimeSpan) Series(IReadOnlyList<(string Name, int Weight)> arms, IReadOnlyList<ExperimentSample> samples)
    {
        if (samples.Count == 0)
        {
            return ([], TimeSpan.FromMinutes(1));
        }

        var first = samples.Min(s => s.Timestamp);
        var span = samples.Max(s => s.Timestamp) - first;
        var bucket = Buckets.FirstOrDefault(b => span / b <= 60, Buckets[^1]);
        var points = new List<ArmPoint>();
        foreach (var (name, _) in arms)
        {
            foreach (var group in samples.Where(s => string.Equals(s.Arm, name, StringComparison.OrdinalIgnoreCase))
                         .GroupBy(s => s.Timestamp.ToUnixTimeMilliseconds() / (long)bucket.TotalMilliseconds).OrderBy(g => g.Key))
            {
                var rows = group.ToList();
                var outcomes = rows.Where(r => r.Resolved is not null).ToList();
                var latencies = rows.Where(r => r.Answered).Select(r => r.LatencyMs).Order().ToList();
                points.Add(new ArmPoint(
                    name,
                    DateTimeOffset.FromUnixTimeMilliseconds(group.Key * (long)bucket.TotalMilliseconds),
                    rows.Count,
                    rows.Sum(r => r.Cost) / rows.Count,
                    Rate(outcomes.Count(r => r.Resolved == true), outcomes.Count),
                    latencies.Count == 0 ? null : ExperimentStatistics.Percentile(latencies, 95)));
            }
        }

        return (points, bucket);
    }
}
