using CostConsole.Web.Experiments;

namespace CostConsole.Web.Tests.Experiments;

public sealed class ExperimentAnalysisTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);

    /// <summary>n requests of one arm; the first <paramref name="escalated"/> escalated, the first <paramref name="resolved"/> resolved.</summary>
    private static IEnumerable<ExperimentSample> Arm(string arm, int n, decimal cost, int escalated, int resolved) =>
        Enumerable.Range(0, n).Select(i => new ExperimentSample(
            $"{arm}-{i}", Start.AddSeconds(i), arm, cost + (i % 5) * 0.00001m, 300 + i % 50, Answered: true, Fallback: false,
            Escalated: i < escalated, Resolved: i < resolved, Csat: i < resolved ? 5 : 2));

    [Fact]
    public void A_variant_that_escalates_more_and_costs_less_gets_both_in_its_verdict()
    {
        var samples = Arm("control", 1000, 0.0010m, escalated: 30, resolved: 900).Concat(Arm("variant", 1000, 0.0004m, escalated: 52, resolved: 880)).ToList();

        var results = ExperimentAnalysis.Analyze([("control", 50), ("variant", 50)], samples, requiredPerArm: 500);

        Assert.True(results.ReachedSampleSize);
        var verdict = Assert.Single(results.Verdicts);
        var escalation = verdict.Metrics.Single(m => m.Metric == "Escalation rate");

        // 30/1000 vs 52/1000: z = 2.48, p = 0.013 (see ExperimentStatisticsTests).
        Assert.Equal("escalation rate 2.2 points higher (3% → 5.2%, 95% CI 0.5–3.9 points, p = 0.013)", escalation.Sentence);
        Assert.StartsWith("cost per request 58.8% cheaper", verdict.Metrics[0].Sentence, StringComparison.Ordinal);
        Assert.Contains("% cheaper (95% CI", verdict.Metrics[0].Sentence, StringComparison.Ordinal);
        // 900/1000 vs 880/1000: z = -1.43, p = 0.153.
        Assert.Equal("resolution rate not significantly different (p = 0.15)", verdict.Metrics.Single(m => m.Metric == "Resolution rate (FCR)").Sentence);
    }

    [Fact]
    public void Per_arm_figures_count_cost_per_resolved_case_errors_and_csat()
    {
        var samples = new List<ExperimentSample>
        {
            new("a", Start, "control", 0.002m, 100, true, false, false, true, 5),
            new("b", Start.AddSeconds(1), "control", 0.002m, 300, true, true, false, false, 3),
            new("c", Start.AddSeconds(2), "control", 0m, 50, false, false, false, null, null),
            new("d", Start.AddSeconds(3), "control", 0.002m, 200, true, false, true, true, 4),
        };

        var arm = ExperimentAnalysis.Analyze([("control", 50), ("variant", 50)], samples, 100).Arms[0];

        Assert.Equal(4, arm.Requests);
        Assert.Equal(0.0015m, arm.CostPerRequest);
        Assert.Equal(0.003m, arm.CostPerResolved);
        Assert.Equal(0.25, arm.ErrorRate);
        Assert.Equal(0.25, arm.FallbackRate);
        Assert.Equal(0.25, arm.EscalationRate);
        Assert.Equal(200, arm.LatencyP50);
        Assert.Equal(2.0 / 3, arm.ResolutionRate!.Value, 10);
        Assert.Equal(4, arm.CsatMean);
        Assert.Equal(2.0 / 3, arm.CsatShare4!.Value, 10);
    }

    [Fact]
    public void No_verdict_before_every_arm_reaches_the_sample_size()
    {
        var samples = Arm("control", 300, 0.001m, 0, 250).Concat(Arm("variant", 99, 0.001m, 0, 80)).ToList();

        var results = ExperimentAnalysis.Analyze([("control", 50), ("variant", 50)], samples, requiredPerArm: 100);

        Assert.False(results.ReachedSampleSize);
        Assert.Equal(99, results.SmallestArmOutcomes);
    }

    [Fact]
    public void A_cheaper_variant_with_no_detectable_change_in_resolution_is_recommended_with_both_intervals()
    {
        var samples = Arm("control", 1000, 0.0010m, escalated: 30, resolved: 900).Concat(Arm("nano", 1000, 0.0004m, escalated: 52, resolved: 880)).ToList();

        var verdict = Assert.Single(ExperimentAnalysis.Analyze([("control", 50), ("nano", 50)], samples, requiredPerArm: 500).Verdicts);

        // 900/1000 vs 880/1000: −2.0 points, 95% CI −4.7 to +0.7 (not significant).
        Assert.StartsWith("Ship nano: it costs 58.8% less per request (95% CI ", verdict.Recommendation, StringComparison.Ordinal);
        Assert.EndsWith("with no detectable change in resolution rate (−2.0 points, 95% CI −4.7 to +0.7).", verdict.Recommendation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_variant_that_resolves_fewer_cases_is_not_recommended_for_its_savings()
    {
        var samples = Arm("control", 1000, 0.0010m, escalated: 0, resolved: 900).Concat(Arm("nano", 1000, 0.0004m, escalated: 0, resolved: 800)).ToList();

        var verdict = Assert.Single(ExperimentAnalysis.Analyze([("control", 50), ("nano", 50)], samples, requiredPerArm: 500).Verdicts);

        Assert.StartsWith("Keep control: nano resolves fewer cases (−10.0 points, 95% CI ", verdict.Recommendation, StringComparison.Ordinal);
    }

    [Fact]
    public void Before_the_sample_size_the_recommendation_says_how_many_more_outcomes_each_arm_needs()
    {
        var samples = Arm("control", 300, 0.001m, 0, 250).Concat(Arm("nano", 120, 0.0005m, 0, 100)).ToList();

        var verdict = Assert.Single(ExperimentAnalysis.Analyze([("control", 50), ("nano", 50)], samples, requiredPerArm: 1_900).Verdicts);

        Assert.Equal("Not enough data to judge nano yet: about 1,780 more requests with resolution feedback per arm.", verdict.Recommendation);
    }

    [Fact]
    public void Budget_refusals_are_counted_apart_and_not_as_errors_of_the_arm()
    {
        var samples = new List<ExperimentSample>
        {
            new("a", Start, "control", 0.002m, 100, true, false, false, true, 5),
            new("b", Start.AddSeconds(1), "control", 0m, 5, false, false, false, null, null, RefusedByBudget: true),
            new("c", Start.AddSeconds(2), "control", 0m, 50, false, false, false, null, null),
            new("d", Start.AddSeconds(3), "control", 0m, 5, false, false, false, null, null, RefusedByBudget: true),
        };

        var arm = ExperimentAnalysis.Analyze([("control", 50), ("variant", 50)], samples, 100).Arms[0];

        Assert.Equal(4, arm.Requests);
        Assert.Equal(2, arm.BudgetRefusals);
        Assert.Equal(0.5, arm.ErrorRate);
    }
}
