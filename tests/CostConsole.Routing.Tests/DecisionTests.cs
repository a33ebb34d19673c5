using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class DecisionTests
{
    [Fact]
    public void A_rule_decision_carries_its_trace()
    {
        var snapshot = Snapshot(Rule("billing", "small", new KeywordCondition(KeywordMatch.Any, ["refund", "invoice"])));

        var decision = Decide(snapshot, Request("I need a refund"));

        Assert.Equal(DecisionSource.Rule, decision.Source);
        Assert.Equal("billing", decision.Rule);
        Assert.Equal("rule #1 'billing' matched: contains any of refund, invoice → small", decision.Reason);
        Assert.Equal("default", decision.Mapping);
        Assert.Equal(7, decision.RuleSetVersion);
        Assert.Equal("sim/nano", decision.Model.Key);
    }

    [Fact]
    public void Without_a_matching_rule_the_classifier_gives_the_default_tier_and_says_why()
    {
        var snapshot = Snapshot(Rule("billing", "small", new KeywordCondition(KeywordMatch.Any, ["refund"])));

        var decision = Decide(snapshot, Request("Tell me a story"));

        Assert.Equal(DecisionSource.Classifier, decision.Source);
        Assert.Equal("medium", decision.Tier);
        Assert.Null(decision.Rule);
        Assert.Equal("default-tier", decision.Classifier);
        Assert.Equal("no rule matched (1 enabled); default tier medium", decision.Reason);
        Assert.Equal(1, decision.RulesEvaluated);
    }

    [Fact]
    public void Candidates_are_the_tiers_models_then_every_tier_above_in_order()
    {
        var snapshot = Snapshot(Rule("billing", "small", new KeywordCondition(KeywordMatch.Any, ["refund"])));

        var decision = Decide(snapshot, Request("refund"));

        Assert.Equal(["sim/nano", "sim/mini", "sim/big", "backup/big-backup"], decision.Candidates.Select(c => c.Key));
        Assert.Equal(["small", "medium", "large", "large"], decision.Candidates.Select(c => c.Tier));
    }

    [Fact]
    public void A_tier_name_pins_the_tier_and_a_model_id_pins_the_model()
    {
        var snapshot = Snapshot(Rule("billing", "small", new KeywordCondition(KeywordMatch.Any, ["refund"])));

        var tier = Decide(snapshot, Request("refund", model: "LARGE"));
        var model = Decide(snapshot, Request("refund", model: "mini"));
        var qualified = Decide(snapshot, Request("refund", model: "backup/big-backup"));

        Assert.Equal((DecisionSource.PinnedTier, "large", "sim/big"), (tier.Source, tier.Tier, tier.Model.Key));
        Assert.Equal((DecisionSource.PinnedModel, "medium", "sim/mini"), (model.Source, model.Tier, model.Model.Key));
        Assert.Equal("backup/big-backup", qualified.Model.Key);
    }

    [Fact]
    public void An_unknown_model_is_refused_with_where_to_look_instead_of_a_list_of_the_catalogue()
    {
        var snapshot = Snapshot();

        var ex = Assert.Throws<ChatRequestException>(() => Decide(snapshot, Request("hi", model: "gpt-17")));

        Assert.Equal("model_not_found", ex.Code);
        Assert.Contains("\"auto\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("GET /v1/models", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("medium", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("sim/big", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Baseline_is_the_most_expensive_model_of_the_top_tier()
    {
        var snapshot = Snapshot();

        Assert.Equal("sim/big", snapshot.Baseline!.Key);
    }

    [Fact]
    public void A_configured_baseline_model_overrides_the_default()
    {
        var snapshot = SnapshotCompiler.Compile(Config([]) with { BaselineModel = "mini" }, PriceStart.AddDays(1));

        Assert.Equal("sim/mini", snapshot.Baseline!.Key);
    }

    [Fact]
    public async Task Publishing_swaps_the_whole_snapshot_while_decisions_run()
    {
        var state = new RoutingState();
        var toSmall = Snapshot(Rule("all", "small", new TurnsCondition(1, null)));
        var toLarge = Snapshot(Rule("all", "large", new TurnsCondition(1, null)));
        state.Publish(toSmall);

        var torn = 0;
        using var stop = new CancellationTokenSource();
        var deciders = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var decisions = 0;
            while (!stop.IsCancellationRequested || decisions < 1000)
            {
                var snapshot = state.Current;
                var decision = Decide(snapshot, Request("hello"));
                // A decision comes wholly from the snapshot it started on: tier and model agree.
                if ((decision.Tier == "small") != (decision.Model.Key == "sim/nano"))
                {
                    Interlocked.Increment(ref torn);
                }

                decisions++;
            }
        }, TestContext.Current.CancellationToken)).ToArray();

        for (var i = 0; i < 2000; i++)
        {
            state.Publish(i % 2 == 0 ? toLarge : toSmall);
        }

        await stop.CancelAsync();
        await Task.WhenAll(deciders);
        Assert.Equal(0, torn);
    }
}

public sealed class AmbiguousModelTests
{
    private static RoutingConfig TwoProvidersServeMini(string mappedAs) =>
        TestRouting.Config([]) with
        {
            Models = [.. TestRouting.Config([]).Models, new Catalogue.CatalogueModel("mini", "backup", "Mini elsewhere", "medium", null, Catalogue.ModelCapabilities.None)],
            Mapping = new TierMappingDefinition("default", new Dictionary<string, IReadOnlyList<string>>
            {
                ["small"] = ["nano"],
                ["medium"] = [mappedAs],
                ["large"] = ["big"],
            }),
        };

    [Fact]
    public void A_mapping_that_names_a_model_as_provider_and_id_survives_a_second_provider_serving_that_id()
    {
        var snapshot = SnapshotCompiler.Compile(TwoProvidersServeMini("sim/mini"), TestRouting.PriceStart.AddDays(1));

        Assert.Equal("sim/mini", snapshot.CandidatesFor("medium")[0].Key);
    }

    [Fact]
    public void A_bare_id_that_two_providers_serve_is_refused_in_a_mapping_with_how_to_fix_it()
    {
        var ex = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(TwoProvidersServeMini("mini")));

        Assert.Contains(ex.Errors, e => e.Contains("several providers serve (sim, backup): name it as provider/mini", StringComparison.Ordinal));
    }

    [Fact]
    public void A_request_pinning_an_ambiguous_id_is_told_which_providers_serve_it()
    {
        var snapshot = SnapshotCompiler.Compile(TwoProvidersServeMini("sim/mini"), TestRouting.PriceStart.AddDays(1));

        var ex = Assert.Throws<ChatRequestException>(() => TestRouting.Decide(snapshot, TestRouting.Request("hi", model: "mini")));

        Assert.Equal("ambiguous_model", ex.Code);
        Assert.Contains("sim/mini", ex.Message, StringComparison.Ordinal);
        Assert.Equal("backup/mini", TestRouting.Decide(snapshot, TestRouting.Request("hi", model: "backup/mini")).Model.Key);
    }
}
