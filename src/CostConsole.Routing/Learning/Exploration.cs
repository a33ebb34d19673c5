using System.Globalization;
using CostConsole.Routing.Decisions;

namespace CostConsole.Routing.Learning;

/// <summary>What exploration made of one decision: the tier to serve, its probability of being chosen, whether it is off the classifier's choice.</summary>
public readonly record struct ExplorationDraw(int Tier, double Propensity, bool Explored);

/// <summary>
/// Epsilon-greedy exploration around the trained classifier's choice: with probability ε the request goes to one of
/// the neighbouring mapped tiers (the nearest mapped tier below and above, each equally likely), otherwise to the
/// chosen tier. The probability of the tier actually served is recorded, so retraining can weight each answer by
/// its inverse (inverse propensity) and learn what the router would not have tried on its own.
/// </summary>
public static class Exploration
{
    /// <param name="mapped">Per tier, cheapest first, whether the tier mapping has a model for it.</param>
    /// <param name="random">The source of the two draws; shared and thread-safe in live routing, seeded in tests.</param>
    public static ExplorationDraw Draw(int chosen, IReadOnlyList<bool> mapped, double epsilon, Random random)
    {
        if (epsilon <= 0)
        {
            return new ExplorationDraw(chosen, 1, false);
        }

        var below = -1;
        for (var t = chosen - 1; t >= 0 && below < 0; t--)
        {
            below = mapped[t] ? t : -1;
        }

        var above = -1;
        for (var t = chosen + 1; t < mapped.Count && above < 0; t++)
        {
            above = mapped[t] ? t : -1;
        }

        var neighbours = (below >= 0 ? 1 : 0) + (above >= 0 ? 1 : 0);
        if (neighbours == 0)
        {
            return new ExplorationDraw(chosen, 1, false);
        }

        if (random.NextDouble() >= epsilon)
        {
            return new ExplorationDraw(chosen, 1 - epsilon, false);
        }

        var tier = neighbours == 1 ? Math.Max(below, above) : random.Next(2) == 0 ? below : above;
        return new ExplorationDraw(tier, epsilon / neighbours, true);
    }

    /// <summary>
    /// Explores <paramref name="decision"/> when the trained classifier made it on the tier's own candidates; a rule,
    /// a pinned tier or model, or an experiment's arm is never explored.
    /// </summary>
    internal static RoutingDecision Apply(RoutingDecision decision, IReadOnlyList<string> tiers, RoutedModel[][] candidatesByTier, double epsilon, Random random)
    {
        if (decision.Source != DecisionSource.Classifier || decision.Classifier != "trained" || decision.ExperimentId is not null)
        {
            return decision;
        }

        var chosen = -1;
        for (var t = 0; t < tiers.Count; t++)
        {
            if (string.Equals(tiers[t], decision.Tier, StringComparison.OrdinalIgnoreCase))
            {
                chosen = t;
            }
        }

        if (chosen < 0 || !ReferenceEquals(decision.Candidates, candidatesByTier[chosen]))
        {
            return decision;
        }

        var draw = Draw(chosen, [.. candidatesByTier.Select(c => c.Length > 0)], epsilon, random);
        if (!draw.Explored)
        {
            return draw.Propensity >= 1 ? decision : Copy(decision, chosen, tiers, candidatesByTier, draw, null);
        }

        return Copy(decision, draw.Tier, tiers, candidatesByTier, draw, decision);
    }

    private static RoutingDecision Copy(RoutingDecision decision, int tier, IReadOnlyList<string> tiers, RoutedModel[][] candidatesByTier, ExplorationDraw draw, RoutingDecision? unexplored)
    {
        var propensity = Math.Round(draw.Propensity, 6);
        var note = draw.Explored
            ? string.Create(CultureInfo.InvariantCulture, $"explored: {tiers[tier]} instead of {decision.Tier} (probability {propensity:0.###})")
            : null;
        return new RoutingDecision
        {
            RequestedModel = decision.RequestedModel,
            Source = decision.Source,
            Tier = tiers[tier],
            Rule = decision.Rule,
            RulePosition = decision.RulePosition,
            Reason = decision.Reason,
            Classifier = decision.Classifier,
            ClassifierScore = decision.ClassifierScore,
            Mapping = decision.Mapping,
            Candidates = candidatesByTier[tier],
            RuleSetVersion = decision.RuleSetVersion,
            RulesEvaluated = decision.RulesEvaluated,
            Notes = note is null ? decision.Notes : [.. decision.Notes, note],
            ExperimentId = decision.ExperimentId,
            Arm = decision.Arm,
            Explored = draw.Explored,
            Propensity = propensity,
            Unexplored = unexplored,
        };
    }
}
