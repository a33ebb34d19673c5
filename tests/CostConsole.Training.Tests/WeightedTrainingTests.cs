using CostConsole.Routing.Learning;

namespace CostConsole.Training.Tests;

public sealed class WeightedTrainingTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Logged traffic as the router saw it: refund questions were almost always sent to large, where nobody learns
    /// whether small would have done. The few explored to small (propensity 0.05) show it does, as often as not.
    /// </summary>
    private static LabelledSet Logged(bool weighted)
    {
        var examples = new List<LabelledPrompt>();
        for (var i = 0; i < 95; i++)
        {
            examples.Add(new LabelledPrompt($"I would like a refund for order {i}", [0, 1], i));
        }

        for (var i = 0; i < 5; i++)
        {
            examples.Add(new LabelledPrompt($"I would like a refund for order {100 + i}", [1, 1], 100 + i) { Weight = weighted ? 1 / 0.05 : 1 });
        }

        return new LabelledSet(["small", "large"], examples, "ledger");
    }

    [Fact]
    public void Weighting_explored_answers_by_their_inverse_propensity_changes_what_the_router_learns()
    {
        var options = new TrainingOptions { HashBits = 10, Epochs = 20 };
        var plain = TrainedRouter.Compile(RouterTrainer.Train(Logged(weighted: false), options, Now), [])!;
        var weighted = TrainedRouter.Compile(RouterTrainer.Train(Logged(weighted: true), options, Now), [])!;

        var withoutWeights = plain.Score("I would like a refund for order 555")[0];
        var withWeights = weighted.Score("I would like a refund for order 555")[0];
        Assert.True(withoutWeights < 0.3, $"P(small) unweighted is {withoutWeights}");
        Assert.True(withWeights > 0.4, $"P(small) weighted is {withWeights}");
    }

    [Fact]
    public void Evaluation_counts_each_example_by_its_weight()
    {
        var set = new LabelledSet(["small", "large"],
        [
            new LabelledPrompt("a", [1, 1], 1) { Weight = 3 },
            new LabelledPrompt("b", [0, 1], 2),
        ], "weighted");

        var point = RouterEvaluator.Routed(set, _ => 0);

        Assert.Equal([1.0, 0.0], point.Shares);
        Assert.Equal(0.75, point.Quality, 9);
    }
}
