using CostConsole.Routing.Learning;

namespace CostConsole.Training;

/// <summary>How a trained router does on labelled prompts it did not train on.</summary>
public sealed record RouterEvaluation
{
    public required int Examples { get; init; }

    public required IReadOnlyList<string> Tiers { get; init; }

    /// <summary>Each tier's cost relative to the top tier, as used for the curve's cost axis.</summary>
    public required IReadOnlyList<double> RelativeCosts { get; init; }

    /// <summary>Per tier boundary (every tier but the top): how well P(tier acceptable) ranks, beside prompt length alone.</summary>
    public required IReadOnlyList<BoundaryMetrics> Boundaries { get; init; }

    /// <summary>APGR and CPT between the cheapest and the top tier (RouteLLM's definition; random = 0.5).</summary>
    public GapRecovery? GapRecovered { get; init; }

    /// <summary>The same for a router that sends the longest prompts to the top tier first.</summary>
    public GapRecovery? LengthBaselineGapRecovered { get; init; }

    public required double AllCheapestQuality { get; init; }

    public required double AllTopQuality { get; init; }

    /// <summary>The cost–quality curve: one point per quality target.</summary>
    public required IReadOnlyList<RoutingPoint> Curve { get; init; }

    /// <summary>The chosen operating point.</summary>
    public required RoutingPoint Operating { get; init; }

    /// <summary>The published router on the same examples, when one was given.</summary>
    public RoutingPoint? Published { get; init; }
}

public sealed record BoundaryMetrics(string Boundary, int Acceptable, int NotAcceptable, double? Auroc, double? LengthBaselineAuroc);

/// <summary>
/// Where a router lands on labelled prompts: the share sent to each tier, the mean quality of the chosen tiers'
/// answers (1 = all acceptable), the mean relative cost, and a random router's quality with the same tier shares.
/// </summary>
public sealed record RoutingPoint
{
    public double? QualityTarget { get; init; }

    public required IReadOnlyList<double> Shares { get; init; }

    public required double Quality { get; init; }

    public required double RelativeCost { get; init; }

    public required double RandomQuality { get; init; }

    public double LiftOverRandom => Quality - RandomQuality;

    public double TopShare => Shares.Count == 0 ? 0 : Shares[^1];
}

public static class RouterEvaluator
{
    public static readonly IReadOnlyList<double> Targets =
        [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.975, 0.99];

    /// <summary>Relative costs when none are given: each tier five times the one below, the top tier 1.</summary>
    public static double[] DefaultCosts(int tiers) => [.. Enumerable.Range(0, tiers).Select(i => Math.Pow(5, i - (tiers - 1)))];

    /// <param name="published">The published router's tier index for a prompt, to score beside the trained one; null to skip.</param>
    public static RouterEvaluation Evaluate(
        TrainedRouter router,
        LabelledSet set,
        double qualityTarget,
        IReadOnlyList<double>? relativeCosts = null,
        Func<LabelledPrompt, int>? published = null)
    {
        var tiers = set.Tiers;
        var costs = relativeCosts ?? DefaultCosts(tiers.Count);
        var examples = set.Examples;
        var map = tiers.Select(t => IndexOf(router.Tiers, t)).ToArray();
        var probabilities = examples.Select(e =>
        {
            var scored = router.Score(e.Prompt, e.UserTurns, e.HasTools);
            return map.Select(m => m < 0 ? 1.0 : scored[m]).ToArray();
        }).ToArray();
        var quality = examples.Select(e => Enumerable.Range(0, tiers.Count).Select(t => Impute(e.Quality, t)).ToArray()).ToArray();
        var weights = Weights(examples);
        var meanQuality = MeanQuality(quality, weights, tiers.Count);
        var lengths = examples.Select(e => (double)e.Prompt.Length).ToArray();

        var boundaries = new List<BoundaryMetrics>();
        for (var t = 0; t < tiers.Count - 1; t++)
        {
            var rows = Enumerable.Range(0, examples.Count).Where(i => examples[i].Quality[t] is not null).ToArray();
            var labels = rows.Select(i => examples[i].Quality[t] >= 0.5).ToArray();
            boundaries.Add(new BoundaryMetrics(
                $"{tiers[t]}|{tiers[t + 1]}",
                labels.Count(l => l),
                labels.Count(l => !l),
                RouterMetrics.Auroc([.. rows.Select(i => probabilities[i][t])], labels),
                RouterMetrics.Auroc([.. rows.Select(i => -lengths[i])], labels)));
        }

        var weak = quality.Select(q => q[0]).ToArray();
        var strong = quality.Select(q => q[^1]).ToArray();
        var curve = Targets.Select(target => Point(target, probabilities, quality, weights, meanQuality, costs)).ToList();
        return new RouterEvaluation
        {
            Examples = examples.Count,
            Tiers = tiers,
            RelativeCosts = costs,
            Boundaries = boundaries,
            GapRecovered = tiers.Count < 2 ? null : RouterMetrics.GapRecovered([.. probabilities.Select(p => -p[0])], weak, strong),
            LengthBaselineGapRecovered = tiers.Count < 2 ? null : RouterMetrics.GapRecovered(lengths, weak, strong),
            AllCheapestQuality = meanQuality[0],
            AllTopQuality = meanQuality[^1],
            Curve = curve,
            Operating = Point(qualityTarget, probabilities, quality, weights, meanQuality, costs),
            Published = published is null ? null : Routed([.. examples.Select(published)], quality, weights, meanQuality, costs, null),
        };
    }

    /// <summary>Where any router (given as a tier index per prompt) lands on <paramref name="set"/>.</summary>
    public static RoutingPoint Routed(LabelledSet set, Func<LabelledPrompt, int> router, IReadOnlyList<double>? relativeCosts = null)
    {
        var tiers = set.Tiers.Count;
        var quality = set.Examples.Select(e => Enumerable.Range(0, tiers).Select(t => Impute(e.Quality, t)).ToArray()).ToArray();
        var weights = Weights(set.Examples);
        return Routed([.. set.Examples.Select(router)], quality, weights, MeanQuality(quality, weights, tiers), relativeCosts ?? DefaultCosts(tiers), null);
    }

    /// <summary>The highest quality target on the curve whose share sent to the top tier is at most <paramref name="maxTopShare"/>.</summary>
    public static double TargetForTopShare(RouterEvaluation evaluation, double maxTopShare) =>
        evaluation.Curve.Where(p => p.TopShare <= maxTopShare + 1e-9).Select(p => p.QualityTarget ?? 0).DefaultIfEmpty(Targets[0]).Max();

    private static RoutingPoint Point(double target, double[][] probabilities, double[][] quality, double[] weights, double[] meanQuality, IReadOnlyList<double> costs) =>
        Routed([.. probabilities.Select(p => TierPolicy.CheapestReaching(p, target))], quality, weights, meanQuality, costs, target);

    /// <summary>
    /// Each example counts by its weight (1 for a labelled file; the inverse propensity for explored ledger
    /// traffic), so shares, quality and cost estimate what the router would do on the traffic as it arrives.
    /// </summary>
    private static RoutingPoint Routed(int[] chosen, double[][] quality, double[] weights, double[] meanQuality, IReadOnlyList<double> costs, double? target)
    {
        var tiers = meanQuality.Length;
        var counts = new double[tiers];
        double sum = 0, cost = 0, total = 0;
        for (var i = 0; i < chosen.Length; i++)
        {
            var tier = Math.Clamp(chosen[i], 0, tiers - 1);
            var w = weights[i];
            counts[tier] += w;
            sum += w * quality[i][tier];
            cost += w * costs[tier];
            total += w;
        }

        var n = total > 0 ? total : 1;
        var shares = counts.Select(c => (double)c / n).ToArray();
        return new RoutingPoint
        {
            QualityTarget = target,
            Shares = shares,
            Quality = sum / n,
            RelativeCost = cost / n,
            RandomQuality = shares.Select((s, t) => s * meanQuality[t]).Sum(),
        };
    }

    private static double[] Weights(IReadOnlyList<LabelledPrompt> examples) => [.. examples.Select(e => e.Weight > 0 ? e.Weight : 0)];

    private static double[] MeanQuality(double[][] quality, double[] weights, int tiers)
    {
        var total = weights.Sum();
        return [.. Enumerable.Range(0, tiers).Select(t => total <= 0 ? 0 : quality.Select((q, i) => q[t] * weights[i]).Sum() / total)];
    }

    /// <summary>A missing score counts as the nearest known tier above (a more capable tier does at least as well), else below.</summary>
    private static double Impute(double?[] quality, int tier)
    {
        for (var t = tier; t < quality.Length; t++)
        {
            if (quality[t] is { } above)
            {
                return above;
            }
        }

        for (var t = tier - 1; t >= 0; t--)
        {
            if (quality[t] is { } below)
            {
                return below;
            }
        }

        return 0;
    }

    private static int IndexOf(IReadOnlyList<string> tiers, string tier)
    {
        for (var i = 0; i < tiers.Count; i++)
        {
            if (string.Equals(tiers[i], tier, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
