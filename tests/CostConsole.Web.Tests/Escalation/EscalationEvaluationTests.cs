using CostConsole.Web.Escalation;

namespace CostConsole.Web.Tests.Escalation;

public sealed class EscalationEvaluationTests
{
    // Small right on 0 and 2 (0.5 on 4), large right on 0, 1, 3 and 4.
    private static readonly LabelledAnswer[] Rows =
    [
        new(2, "q0", 1, 1, "a0") { SmallConfidence = 0.9, SmallCost = 0.001m, LargeCost = 0.01m },
        new(3, "q1", 0, 1, "a1") { SmallConfidence = 0.1, SmallCost = 0.001m, LargeCost = 0.01m },
        new(4, "q2", 1, 0, "a2") { SmallConfidence = 0.5, SmallCost = 0.001m, LargeCost = 0.01m },
        new(5, "q3", 0, 1, "a3") { SmallConfidence = 0.5, SmallCost = 0.001m, LargeCost = 0.01m },
        new(6, "q4", 0.5, 1, "a4") { SmallConfidence = null, SmallCost = 0.001m, LargeCost = 0.01m },
    ];

    [Fact]
    public void Precision_recall_cascade_quality_cost_and_pgr_match_the_hand_computed_values()
    {
        var result = EscalationEvaluation.Measure("gate", [false, true, true, false, false], Rows, withCosts: true);

        // Wrongness 1 - small: 0, 1, 0, 1, 0.5 (total 2.5). Escalated rows 1 and 2 hold 1 of it.
        Assert.Equal(0.4, result.ShareEscalated, 9);
        Assert.Equal(0.5, result.Precision!.Value, 9);
        Assert.Equal(0.4, result.Recall!.Value, 9);

        // Cascade: 1 + 1 (large) + 0 (large) + 0 + 0.5 = 2.5 / 5 = 0.5; small 2.5/5 = 0.5, large 4/5 = 0.8.
        Assert.Equal(0.5, result.CascadeQuality, 9);
        Assert.Equal(0.5 + (0.4 * 0.3), result.RandomQuality, 9);
        Assert.Equal(0, result.Pgr!.Value, 9);
        Assert.Equal(0.4, result.RandomPgr!.Value, 9);
        Assert.Equal((5 * 0.001m + 2 * 0.01m) / 5, result.CostPerRequest);
    }

    [Fact]
    public void Routing_alone_and_routing_with_the_checks_behind_it_match_the_hand_computed_values()
    {
        // Row 1 is routed to large; rows 1, 2 and 3 fail a check, but only answers left on small are checked.
        bool[] routed = [false, true, false, false, false];
        bool[] flagged = [false, true, true, true, false];

        var alone = EscalationEvaluation.Route(Rows, routed, null, withCosts: true, target: null);
        var cascade = EscalationEvaluation.Route(Rows, routed, flagged, withCosts: true, target: 0.9);

        // Alone: small 1 + large 1 + small 1 + small 0 + small 0.5 = 3.5 / 5; all-small 0.5, all-large 0.8.
        Assert.Equal(0.2, alone.LargeShare, 9);
        Assert.Equal(0.7, alone.Quality, 9);
        Assert.Equal((0.7 - 0.5) / 0.3, alone.Pgr!.Value, 9);
        Assert.Equal((4 * 0.001m + 0.01m) / 5, alone.CostPerRequest);
        Assert.Null(alone.QualityTarget);

        // With the checks: rows 2 and 3 escalated (large 0 and 1): 1 + 1 + 0 + 1 + 0.5 = 3.5 / 5; three rows reach large.
        Assert.Equal(0.6, cascade.LargeShare, 9);
        Assert.Equal(0.7, cascade.Quality, 9);
        Assert.Equal((0.001m + 0.01m + 0.011m + 0.011m + 0.001m) / 5, cascade.CostPerRequest);
        Assert.Equal(0.9, cascade.QualityTarget);
    }

    [Fact]
    public void The_chart_draws_the_router_alone_and_with_the_checks_as_lines_along_the_quality_targets()
    {
        var point = new RoutePoint(null, 0.2, 0.7, null, null);
        var result = new EscalationEvaluationResult(
            new TierPair("small", "a", "large", "b"), 5, 0, 3, false, new TierBaseline(0.5, null), new TierBaseline(0.8, null), [],
            EscalationEvaluation.Measure("policy", [false, true, false, false, false], Rows, withCosts: false))
        {
            Routing = new RouteCascadeEvaluation("rule set v3", point, point with { LargeShare = 0.4 },
                [new(0.9, 0.6, 0.75, null, null), new(0.5, 0.1, 0.6, null, null)], [new(0.9, 0.7, 0.78, null, null), new(0.5, 0.3, 0.7, null, null)]),
        };

        var series = CostConsole.Web.Components.Routing.AnswerChecksPanel.Curve(result);

        var alone = Assert.Single(series, s => s.Name == "Router alone");
        Assert.Equal([100L, 600L], alone.Data.Select(p => p.X));
        Assert.Equal([300L, 700L], Assert.Single(series, s => s.Name == "Router + answer checks").Data.Select(p => p.X));
    }

    [Fact]
    public void Escalating_every_wrong_answer_catches_them_all_and_recovers_more_than_the_gap_when_large_is_wrong_elsewhere()
    {
        var result = EscalationEvaluation.Measure("oracle", [false, true, false, true, true], Rows, withCosts: false);

        // Row 4 was half wrong: 2.5 of the 3 escalated answers' wrongness, and all 2.5 of the file's.
        Assert.Equal(2.5 / 3, result.Precision!.Value, 9);
        Assert.Equal(1.0, result.Recall!.Value, 9);
        Assert.Equal((1 + 1 + 1 + 1 + 1) / 5.0, result.CascadeQuality, 9);
        Assert.Equal((1.0 - 0.5) / (0.8 - 0.5), result.Pgr!.Value, 9);
        Assert.Null(result.CostPerRequest);
    }

    [Fact]
    public void Nothing_escalated_has_no_precision_and_the_quality_of_all_small()
    {
        var result = EscalationEvaluation.Measure("none", [false, false, false, false, false], Rows, withCosts: false);

        Assert.Null(result.Precision);
        Assert.Equal(0, result.Recall!.Value, 9);
        Assert.Equal(0.5, result.CascadeQuality, 9);
    }

    [Fact]
    public void The_curve_escalates_lowest_scores_first_moves_ties_together_and_leaves_unscored_rows_last()
    {
        var curve = EscalationEvaluation.Curve(Rows, r => r.SmallConfidence);

        // Order: 0.1 (row 1, +1), 0.5 and 0.5 together (rows 2 and 3: -1 and +1), 0.9 (row 0: 0), unscored (row 4: +0.5).
        Assert.Equal(
            [(0.0, 0.5), (0.2, 0.7), (0.6, 0.7), (0.8, 0.7), (1.0, 0.8)],
            curve.Select(p => (Math.Round(p.Share, 9), Math.Round(p.Quality, 9))));
    }

    [Fact]
    public void A_long_curve_is_thinned_to_at_most_a_hundred_and_one_points_keeping_both_ends()
    {
        var rows = Enumerable.Range(0, 5000).Select(i => new LabelledAnswer(i + 2, "q", i % 2, 1, "a") { SmallConfidence = i / 5000.0 }).ToList();

        var curve = EscalationEvaluation.Curve(rows, r => r.SmallConfidence);

        Assert.InRange(curve.Count, 90, 101);
        Assert.Equal((0.0, 0.5), (curve[0].Share, curve[0].Quality));
        Assert.Equal((1.0, 1.0), (curve[^1].Share, curve[^1].Quality));
    }

    [Theory]
    [InlineData("small=a,large=b", "small", "a", "large", "b")]
    [InlineData(" small = Meta-Llama-3_1-8B-Instruct , large = gpt-4o_earlyrun ", "small", "Meta-Llama-3_1-8B-Instruct", "large", "gpt-4o_earlyrun")]
    public void Tiers_are_read_cheap_first(string text, string smallTier, string smallModel, string largeTier, string largeModel)
    {
        Assert.Equal(new TierPair(smallTier, smallModel, largeTier, largeModel), TierPair.Parse(text));
    }

    [Theory]
    [InlineData("small=a")]
    [InlineData("small=a,large")]
    [InlineData("small=a,medium=b,large=c")]
    [InlineData(null)]
    public void Tiers_that_are_not_two_pairs_are_refused(string? text)
    {
        Assert.Throws<ArgumentException>(() => TierPair.Parse(text));
    }

    [Fact]
    public void Labels_may_be_scores_from_zero_to_one_and_rows_with_an_empty_label_are_left_out()
    {
        const string file = "prompt,s,l,s_response,s_confidence\n\"q\",0.25,1,\"a\",0.3\n\"q2\",,1,\"a\",\n";

        var set = LabelledAnswersReader.Read(new StringReader(file), TierPair.Parse("small=s,large=l"));

        var row = Assert.Single(set.Rows);
        Assert.Equal((0.25, 1.0, 0.3, 1), (row.SmallQuality, row.LargeQuality, row.SmallConfidence!.Value, set.Skipped));
        Assert.True(set.HasConfidence);
    }
}
