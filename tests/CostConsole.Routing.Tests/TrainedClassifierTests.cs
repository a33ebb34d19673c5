using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Tests;

public sealed class TrainedClassifierTests
{
    private const int Bits = 12;

    [Fact]
    public void The_same_prompt_always_gives_the_same_features_and_word_order_changes_them()
    {
        var first = PromptFeatures.Extract("Where is my order?", 1, false, Bits);
        var again = PromptFeatures.Extract("Where is my order?", 1, false, Bits);
        var reordered = PromptFeatures.Extract("My order is where?", 1, false, Bits);

        Assert.Equal(first.Indices, again.Indices);
        Assert.Equal(first.Values, again.Values);
        Assert.NotEqual(first.Indices, reordered.Indices);
        Assert.Equal(1.0, first.Values.Sum(v => (double)v * v), 3);
    }

    [Fact]
    public void Structure_features_count_code_math_questions_turns_and_tools()
    {
        var plain = PromptFeatures.Extract("hello there", 1, false, Bits).Structure;
        var busy = PromptFeatures.Extract("Why? How?\n```js\nlet x = 2 + 3 * 4; { }\n```\nSolve $x^2 = 9$.", 4, true, Bits).Structure;

        string[] grow = ["user turns", "tools", "code", "numbers", "math symbols", "questions", "lines", "latex"];
        foreach (var name in grow)
        {
            var i = PromptFeatures.StructureNames.ToList().IndexOf(name);
            Assert.True(busy[i] > plain[i], $"{name}: {busy[i]} should exceed {plain[i]}");
        }
    }

    [Fact]
    public void Only_the_start_of_a_very_long_prompt_is_read_for_n_grams_but_its_whole_length_counts()
    {
        var head = new string('a', PromptFeatures.MaxCharacters - 1) + " ";
        var shortOne = PromptFeatures.Extract(head + "tail", 1, false, Bits);
        var longOne = PromptFeatures.Extract(head + new string('b', 50_000), 1, false, Bits);

        Assert.True(longOne.Structure[0] > shortOne.Structure[0]);
        Assert.True(longOne.Indices.Length <= shortOne.Indices.Length + 1);
    }

    [Theory]
    [InlineData(new[] { 0.95, 0.99, 1.0 }, 0.9, 0)]
    [InlineData(new[] { 0.42, 0.93, 1.0 }, 0.9, 1)]
    [InlineData(new[] { 0.42, 0.89, 0.97 }, 0.9, 2)]
    [InlineData(new[] { 0.42, 0.89, 0.97 }, 0.5, 1)]
    [InlineData(new[] { 0.30, 0.60, 0.50 }, 0.9, 1)]
    public void The_quality_target_picks_the_cheapest_tier_that_reaches_it_else_the_most_likely(double[] probabilities, double target, int expected) =>
        Assert.Equal(expected, TierPolicy.CheapestReaching(probabilities, target));

    [Fact]
    public void The_cost_aware_policy_gives_up_quality_only_when_it_saves_enough()
    {
        double[] probabilities = [0.80, 0.90, 0.99];
        double[] costs = [0.05, 0.2, 1.0];

        Assert.Equal(0, TierPolicy.BestTradeOff(probabilities, costs, 1.0));
        Assert.Equal(2, TierPolicy.BestTradeOff(probabilities, costs, 0.0));
        Assert.Equal(1, TierPolicy.BestTradeOff(probabilities, costs, 0.2));
    }

    [Fact]
    public void A_model_survives_a_save_and_load_round_trip_with_the_same_scores()
    {
        var model = RefundModel();
        var loaded = TrainedRouterModel.FromJson(model.ToJson());
        var before = TrainedRouter.Compile(model, [])!.Score("I want a refund for my order");
        var after = TrainedRouter.Compile(loaded, [])!.Score("I want a refund for my order");

        Assert.Equal(model.Reference, loaded.Reference);
        Assert.Equal(before, after);
        Assert.Equal(model.Tiers[0].Hashed, loaded.Tiers[0].Hashed);
    }

    [Fact]
    public async Task A_rule_set_with_the_trained_classifier_routes_by_its_probabilities_and_traces_them()
    {
        var model = RefundModel();
        var config = ClassifierRouting.Config(new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = model.Reference, QualityTarget = 0.9 } });
        var snapshot = SnapshotCompiler.Compile(config with { TrainedModels = new Dictionary<string, TrainedRouterModel> { [model.Reference] = model } }, TestRouting.PriceStart.AddDays(1));

        var refund = await snapshot.DecideAsync(TestRouting.Request("refund please"), TestContext.Current.CancellationToken);
        var other = await snapshot.DecideAsync(TestRouting.Request("explain quantum chromodynamics"), TestContext.Current.CancellationToken);

        Assert.Equal(("small", "trained"), (refund.Tier, refund.Classifier));
        Assert.True(refund.ClassifierScore >= 0.9);
        Assert.Contains("P(acceptable) small", refund.Reason, StringComparison.Ordinal);
        Assert.Equal("large", other.Tier);
    }

    [Fact]
    public void A_trained_classifier_naming_an_unknown_model_or_tier_or_target_is_refused_with_the_reason()
    {
        var unknown = ClassifierRouting.Refused(new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = "nobody@3" } });
        Assert.Contains(unknown.Errors, e => e.Contains("'nobody@3' does not exist", StringComparison.Ordinal) && e.Contains(ShippedModels.Support, StringComparison.Ordinal));

        var target = ClassifierRouting.Refused(new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = ShippedModels.Support, QualityTarget = 1.5 } });
        Assert.Contains(target.Errors, e => e.Contains("quality target 1.5", StringComparison.Ordinal));

        var odd = RefundModel() with { Tiers = [new TierHead { Tier = "tiny", Constant = 1 }] };
        var config = ClassifierRouting.Config(new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = odd.Reference } });
        var tiers = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(config with { TrainedModels = new Dictionary<string, TrainedRouterModel> { [odd.Reference] = odd } }));
        Assert.Contains(tiers.Errors, e => e.Contains("tier 'tiny', which does not exist", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Where is my parcel? It has not arrived.", "small")]
    [InlineData("How do I reset my password?", "small")]
    [InlineData("Please change my plan to annual billing and add two seats for my colleagues.", "medium")]
    [InlineData("Write a Python function that merges overlapping intervals and explain its complexity.", "large")]
    [InlineData("Find the number of positive integers n less than 1000 such that n^2 + 3n + 2 is divisible by 6.", "large")]
    public async Task The_shipped_router_sends_faqs_to_small_account_changes_to_medium_and_hard_reasoning_to_large(string prompt, string tier)
    {
        var snapshot = ClassifierRouting.Snapshot(new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = ShippedModels.Support } });

        Assert.Equal(tier, (await snapshot.DecideAsync(TestRouting.Request(prompt), TestContext.Current.CancellationToken)).Tier);
    }

    /// <summary>Small is acceptable exactly when the prompt says "refund"; medium never is; large always is.</summary>
    private static TrainedRouterModel RefundModel()
    {
        var hashed = new float[1 << Bits];
        foreach (var index in PromptFeatures.Extract("refund", 1, false, Bits).Indices)
        {
            hashed[index] = 8;
        }

        return new TrainedRouterModel
        {
            Name = "refunds",
            Version = 2,
            HashBits = Bits,
            Tiers =
            [
                new TierHead { Tier = "small", Bias = -4, Structure = new float[PromptFeatures.StructureCount], Hashed = hashed },
                new TierHead { Tier = "medium", Constant = 0 },
                new TierHead { Tier = "large", Constant = 1 },
            ],
        };
    }
}
