using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Tests;

public sealed class ShadowTests
{
    private const int Bits = 12;

    private static readonly TrainedRouterModel Refunds = RefundModel();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>The published router: one rule for invoices, the default tier (medium) for everything else.</summary>
    private static RoutingConfig Published(TrainedClassifierDefinition? shadow = null) =>
        TestRouting.Config([TestRouting.Rule("invoices", "large", new KeywordCondition(KeywordMatch.Any, ["invoice"]))]) with
        {
            Shadow = shadow,
            TrainedModels = new Dictionary<string, TrainedRouterModel> { [Refunds.Reference] = Refunds },
        };

    private static RoutingSnapshot Snapshot(TrainedClassifierDefinition? shadow = null) => SnapshotCompiler.Compile(Published(shadow), TestRouting.PriceStart.AddDays(1));

    [Theory]
    [InlineData("refund please", "small")]
    [InlineData("explain quantum chromodynamics", "large")]
    public async Task The_shadow_records_its_own_tier_and_scores_but_the_served_decision_is_the_published_routers(string prompt, string shadowTier)
    {
        var without = await Snapshot().DecideAsync(TestRouting.Request(prompt), Cancel);
        var with = await Snapshot(new() { Model = Refunds.Reference, QualityTarget = 0.9 }).DecideAsync(TestRouting.Request(prompt), Cancel);

        Assert.Equal("medium", with.Tier);
        Assert.Equal((without.Tier, without.Model.Key, without.Reason, without.Classifier), (with.Tier, with.Model.Key, with.Reason, with.Classifier));
        Assert.Equal([.. without.Candidates.Select(c => c.Key)], [.. with.Candidates.Select(c => c.Key)]);
        Assert.Null(without.Shadow);
        var shadow = Assert.IsType<ShadowVerdict>(with.Shadow);
        Assert.Equal(("refunds@2", shadowTier, false), (shadow.Model, shadow.Tier, shadow.Failed));
        Assert.Contains("P(acceptable) small", shadow.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_a_rule_decides_or_that_pins_a_tier_is_not_shadowed()
    {
        var snapshot = Snapshot(new() { Model = Refunds.Reference });

        var ruled = await snapshot.DecideAsync(TestRouting.Request("refund for invoice 12"), Cancel);
        var pinned = await snapshot.DecideAsync(TestRouting.Request("refund please", model: "small"), Cancel);

        Assert.Equal(("large", (ShadowVerdict?)null), (ruled.Tier, ruled.Shadow));
        Assert.Equal(("small", (ShadowVerdict?)null), (pinned.Tier, pinned.Shadow));
    }

    [Fact]
    public async Task A_shadow_that_throws_is_recorded_as_failed_and_the_request_is_decided_as_without_it()
    {
        var published = Snapshot();
        var broken = new RoutingSnapshot(published.Parts with { Shadow = new ShadowRouter(new ThrowingClassifier(), "broken@1", new() { Model = "broken@1" }) });

        var decision = await broken.DecideAsync(TestRouting.Request("refund please"), Cancel);

        Assert.Equal(("medium", "sim/mini"), (decision.Tier, decision.Model.Key));
        var shadow = Assert.IsType<ShadowVerdict>(decision.Shadow);
        Assert.True(shadow.Failed);
        Assert.Null(shadow.Tier);
        Assert.Equal("shadow broken@1 failed: the weights are corrupt", shadow.Reason);
    }

    [Fact]
    public void A_shadow_naming_an_unknown_model_or_tier_does_not_compile_and_says_why()
    {
        var unknown = Assert.Throws<RoutingConfigException>(() => Snapshot(new() { Model = "nobody@9" }));
        Assert.Contains(unknown.Errors, e => e.StartsWith("Shadow model: the model 'nobody@9' does not exist", StringComparison.Ordinal));

        var odd = Refunds with { Name = "odd", Tiers = [new TierHead { Tier = "tiny", Constant = 1 }] };
        var config = Published(new() { Model = odd.Reference }) with { TrainedModels = new Dictionary<string, TrainedRouterModel> { [odd.Reference] = odd } };
        var tiers = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(config, TestRouting.PriceStart.AddDays(1)));
        Assert.Contains(tiers.Errors, e => e.Contains("Shadow model: the model 'odd@2' predicts tier 'tiny'", StringComparison.Ordinal));
    }

    private sealed class ThrowingClassifier : ITierClassifier
    {
        public string Name => "trained";

        public ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the weights are corrupt");
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
