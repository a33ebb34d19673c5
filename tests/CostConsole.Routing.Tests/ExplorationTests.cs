using CostConsole.Routing.Decisions;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class ExplorationTests
{
    private static readonly bool[] AllMapped = [true, true, true];

    [Fact]
    public void With_a_seeded_random_about_epsilon_of_many_decisions_go_one_tier_off_each_side_equally_likely()
    {
        var random = new Random(42);
        var draws = Enumerable.Range(0, 20_000).Select(_ => Exploration.Draw(1, AllMapped, 0.1, random)).ToList();

        var explored = draws.Where(d => d.Explored).ToList();
        Assert.InRange(explored.Count / 20_000.0, 0.09, 0.11);
        Assert.All(explored, d => Assert.Equal(0.05, d.Propensity, 9));
        Assert.InRange(explored.Count(d => d.Tier == 0) / (double)explored.Count, 0.45, 0.55);
        Assert.Equal([0, 2], explored.Select(d => d.Tier).Distinct().Order());
        Assert.All(draws.Where(d => !d.Explored), d => Assert.Equal((1, 0.9), (d.Tier, Math.Round(d.Propensity, 9))));
    }

    [Fact]
    public void Exploration_stays_within_the_mapped_tiers_and_an_epsilon_of_zero_never_explores()
    {
        var random = new Random(7);
        bool[] noMedium = [true, false, true];

        var fromSmall = Enumerable.Range(0, 2_000).Select(_ => Exploration.Draw(0, noMedium, 0.3, random)).Where(d => d.Explored).ToList();
        var alone = Enumerable.Range(0, 200).Select(_ => Exploration.Draw(0, [true, false, false], 0.5, random)).ToList();
        var off = Enumerable.Range(0, 200).Select(_ => Exploration.Draw(1, AllMapped, 0, random)).ToList();

        Assert.All(fromSmall, d => Assert.Equal((2, 0.3), (d.Tier, Math.Round(d.Propensity, 9))));
        Assert.All(alone, d => Assert.Equal((0, 1.0, false), (d.Tier, d.Propensity, d.Explored)));
        Assert.All(off, d => Assert.Equal((1, 1.0, false), (d.Tier, d.Propensity, d.Explored)));
    }

    [Fact]
    public void Live_decisions_of_the_trained_classifier_explore_but_a_rule_forced_tier_never_does()
    {
        var rule = Rule("refunds", "large", new KeywordCondition(KeywordMatch.Any, ["refund"]));
        var classifier = new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = ShippedModels.Support, Exploration = 0.5 } };
        var snapshot = SnapshotCompiler.Compile(ClassifierRouting.Config(classifier, [rule]), PriceStart.AddDays(1));
        var unit = new AssignmentUnit(1, null, null, null);

        var forced = Enumerable.Range(0, 300).Select(_ => Live(snapshot, "I want a refund for my order", unit)).ToList();
        var classified = Enumerable.Range(0, 300).Select(_ => Live(snapshot, "What are your opening hours?", unit)).ToList();
        var preview = Decide(snapshot, Request("What are your opening hours?"));

        Assert.All(forced, d => Assert.Equal(("large", false, (double?)null), (d.Tier, d.Explored, d.Propensity)));
        Assert.Contains(classified, d => d.Explored);
        Assert.Contains(classified, d => !d.Explored);
        Assert.All(classified.Where(d => d.Explored), d => Assert.Contains("explored: ", d.Summary, StringComparison.Ordinal));
        Assert.All(classified.Where(d => d.Explored), d => Assert.NotEqual(d.Unexplored!.Tier, d.Tier));
        Assert.False(preview.Explored);
        Assert.Null(preview.Propensity);
    }

    [Fact]
    public void An_exploration_share_above_one_half_is_refused_when_the_rule_set_compiles()
    {
        var error = ClassifierRouting.Refused(new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = ShippedModels.Support, Exploration = 0.6 } });

        Assert.Contains(error.Errors, e => e.Contains("exploration share 0.6 is out of range", StringComparison.Ordinal));
    }

    private static RoutingDecision Live(RoutingSnapshot snapshot, string prompt, AssignmentUnit unit)
    {
        using var request = Request(prompt);
        return snapshot.DecideAsync(request, unit).AsTask().GetAwaiter().GetResult();
    }
}
