using CostConsole.Routing.Learning;

namespace CostConsole.Training.Tests;

public sealed class TrainingTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    private static readonly string[] Nouns = ["order", "parcel", "invoice", "account", "plan", "card", "address", "refund", "delivery", "subscription"];
    private static readonly string[] Verbs = ["check", "show", "find", "explain", "change", "update", "review", "describe"];

    /// <summary>A learnable rule: small is acceptable exactly when the prompt mentions "status".</summary>
    private static LabelledSet StatusSet(int count)
    {
        var examples = new List<LabelledPrompt>();
        for (var i = 0; i < count; i++)
        {
            var status = i % 2 == 0;
            var prompt = $"please {Verbs[i % Verbs.Length]} the {(status ? "status of my " : "")}{Nouns[(i / 2) % Nouns.Length]} number {i}";
            examples.Add(LabelledSet.FromCheapestTier(prompt, status ? 0 : 1, 2));
        }

        return new LabelledSet(["small", "large"], examples, "status rule");
    }

    [Fact]
    public void Training_on_a_learnable_rule_learns_it_for_prompts_it_has_not_seen()
    {
        var model = RouterTrainer.Train(StatusSet(400), new TrainingOptions { HashBits = 12, Epochs = 30 }, Now);
        var router = TrainedRouter.Compile(model, [])!;

        var status = router.Score("please describe the status of my parcel number 9999")[0];
        var other = router.Score("please describe the parcel number 9999")[0];
        Assert.True(status > 0.8, $"P(small) with 'status' is {status}");
        Assert.True(other < 0.2, $"P(small) without is {other}");
        Assert.Equal(1.0, model.Tiers[1].Constant);
    }

    [Fact]
    public void Training_is_deterministic_for_the_same_data_and_seed()
    {
        var first = RouterTrainer.Train(StatusSet(100), new TrainingOptions { HashBits = 10 }, Now);
        var second = RouterTrainer.Train(StatusSet(100), new TrainingOptions { HashBits = 10 }, Now);

        Assert.Equal(first.ToJson(), second.ToJson());
    }

    [Fact]
    public void A_training_run_holds_out_a_split_and_reports_its_metrics_with_the_model()
    {
        var result = RouterTraining.Run(StatusSet(400), new TrainingOptions { HashBits = 12 }, 0.9, Now);

        Assert.Equal(400, result.TrainExamples + result.HeldOutExamples);
        Assert.InRange(result.HeldOutExamples, 40, 130);
        Assert.True(result.Evaluation.Boundaries[0].Auroc > 0.95);
        Assert.True(result.Evaluation.GapRecovered!.Apgr > 0.7);
        Assert.True(result.Evaluation.Operating.LiftOverRandom > 0.2);
        Assert.NotNull(result.Model.Metrics);
    }

    [Fact]
    public void Training_stops_when_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => RouterTrainer.Train(StatusSet(100), new TrainingOptions { HashBits = 10 }, Now, null, cancel.Token));
    }
}
