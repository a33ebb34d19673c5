using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.ClassifierRouting;

namespace CostConsole.Routing.Tests;

public sealed class ClassifierDefinitionTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    private static void RefusedWith(ClassifierDefinition classifier, params string[] fragments)
    {
        var ex = Refused(classifier, new FakeModelInvoker());
        foreach (var fragment in fragments)
        {
            Assert.Contains(ex.Errors, e => e.Contains(fragment, StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_threshold_outside_zero_to_one_is_refused(double threshold) =>
        RefusedWith(new() { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic with { Threshold = threshold } }, "threshold", "from 0 to 1");

    [Fact]
    public void Examples_for_a_tier_that_does_not_exist_and_zero_neighbours_are_refused() =>
        RefusedWith(
            new()
            {
                Kind = ClassifierKind.Semantic,
                Semantic = ClassifierRouting.Semantic with
                {
                    Neighbours = 0,
                    Examples = new Dictionary<string, IReadOnlyList<string>> { ["small"] = ["hi"], ["tiny"] = ["hello"] },
                },
            },
            "tier 'tiny', which does not exist",
            "neighbours is 0");

    [Fact]
    public void A_semantic_classifier_without_examples_or_settings_is_refused()
    {
        RefusedWith(new() { Kind = ClassifierKind.Semantic, Semantic = new() { Examples = new Dictionary<string, IReadOnlyList<string>> { ["small"] = ["  "] } } }, "no example prompt");
        RefusedWith(new() { Kind = ClassifierKind.Semantic }, "Semantic classifier: no settings");
        RefusedWith(new() { Kind = ClassifierKind.Hybrid, Semantic = ClassifierRouting.Semantic }, "Hybrid classifier, LLM part: no settings");
    }

    [Fact]
    public void An_llm_classifier_with_an_unknown_model_or_tier_a_prompt_without_labels_or_bad_labels_is_refused() =>
        RefusedWith(
            new()
            {
                Kind = ClassifierKind.Llm,
                Llm = new()
                {
                    Model = "gpt-17",
                    Prompt = "Classify this.",
                    Labels = new Dictionary<string, string> { ["small"] = "small", ["SMALL"] = "small", ["huge"] = "enormous", ["very big"] = "large" },
                    MaxTokens = 0,
                },
            },
            "model 'gpt-17', which is not an enabled catalogue model",
            "must contain {labels}",
            "label 'SMALL' is listed more than once",
            "label 'huge' sends requests to tier 'enormous', which does not exist",
            "label 'very big' must be one word",
            "max tokens is 0");

    [Fact]
    public void An_llm_classifier_without_labels_is_refused() =>
        RefusedWith(new() { Kind = ClassifierKind.Llm, Llm = ClassifierRouting.Llm with { Labels = new Dictionary<string, string>() } }, "there is no label");

    [Fact]
    public void A_disabled_model_cannot_classify()
    {
        var config = Config(new ClassifierDefinition { Kind = ClassifierKind.Llm, Llm = ClassifierRouting.Llm with { Model = "off" } }, extraModel: new CatalogueModel("off", "sim", "Off", "small", 8192, ModelCapabilities.None) { Enabled = false });

        var ex = Assert.Throws<Decisions.RoutingConfigException>(() => Decisions.SnapshotCompiler.Compile(config, TestRouting.PriceStart.AddDays(1), new FakeModelInvoker()));

        Assert.Contains(ex.Errors, e => e.Contains("'off', which is not an enabled catalogue model", StringComparison.Ordinal));
    }

    [Fact]
    public void Classifiers_that_call_a_model_need_an_invoker_and_say_so()
    {
        var llm = Refused(new() { Kind = ClassifierKind.Llm, Llm = ClassifierRouting.Llm }, invoker: null);
        var embeddings = Refused(new() { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic with { Vectoriser = Vectoriser.Embeddings, EmbeddingModel = "nano" } }, invoker: null);

        Assert.Contains(llm.Errors, e => e.Contains("compiled without a model invoker", StringComparison.Ordinal));
        Assert.Contains(embeddings.Errors, e => e.Contains("compiled without a model invoker", StringComparison.Ordinal));
    }

    [Fact]
    public void The_offline_semantic_classifier_and_the_default_tier_compile_without_an_invoker()
    {
        Assert.Equal("semantic", Snapshot(new() { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic }).Classifier.Name);
        Assert.Equal("default-tier", Snapshot(new()).Classifier.Name);
    }

    [Fact]
    public void The_default_prompt_carries_the_labels_sentence()
    {
        Assert.Contains("Answer with exactly one of these labels: {labels}.", LlmClassifierDefinition.DefaultPrompt, StringComparison.Ordinal);
        Assert.Contains(LlmClassifierDefinition.LabelsInstruction, LlmClassifierDefinition.DefaultPrompt, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_set_saved_before_classifiers_existed_still_reads_as_the_default_tier()
    {
        var old = JsonSerializer.Deserialize<RuleSetDefinition>("""{"rules":[],"defaultTier":"medium","classifier":{"kind":"DefaultTier"}}""", Web)!;

        Assert.Equal(ClassifierKind.DefaultTier, old.Classifier.Kind);
        Assert.Null(old.Classifier.Semantic);
        Assert.Null(old.Classifier.Llm);
    }

    [Fact]
    public void Settings_left_out_of_the_json_take_their_defaults()
    {
        var classifier = JsonSerializer.Deserialize<ClassifierDefinition>(
            """{"kind":"Hybrid","semantic":{"examples":{"small":["hi"]}},"llm":{"model":"nano","labels":{"small":"small"}}}""", Web)!;

        Assert.Equal(0.3, classifier.Semantic!.Threshold);
        Assert.Equal(5, classifier.Semantic.Neighbours);
        Assert.Equal(Vectoriser.MiniLm, classifier.Semantic.Vectoriser);
        Assert.Equal(LlmClassifierDefinition.DefaultPrompt, classifier.Llm!.Prompt);
        Assert.Equal(5, classifier.Llm.MaxTokens);
    }

    [Theory]
    [InlineData(ClassifierKind.DefaultTier)]
    [InlineData(ClassifierKind.Semantic)]
    [InlineData(ClassifierKind.Llm)]
    [InlineData(ClassifierKind.Hybrid)]
    public void A_rule_set_with_each_classifier_kind_survives_a_json_round_trip_and_still_compiles(ClassifierKind kind)
    {
        var ruleSet = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Rules = [TestRouting.Rule("code", "large", new RegexCondition("```"))],
            Classifier = new ClassifierDefinition
            {
                Kind = kind,
                Semantic = kind is ClassifierKind.Semantic or ClassifierKind.Hybrid
                    ? ClassifierRouting.Semantic with { Vectoriser = kind == ClassifierKind.Hybrid ? Vectoriser.Embeddings : Vectoriser.HashedTfIdf, EmbeddingModel = kind == ClassifierKind.Hybrid ? "sim/nano" : null }
                    : null,
                Llm = kind is ClassifierKind.Llm or ClassifierKind.Hybrid ? ClassifierRouting.Llm : null,
            },
        };

        var json = JsonSerializer.Serialize(ruleSet, Web);
        var back = JsonSerializer.Deserialize<RuleSetDefinition>(json, Web)!;

        Assert.Contains($"\"kind\":\"{kind}\"", json, StringComparison.Ordinal);
        Assert.Equal(json, JsonSerializer.Serialize(back, Web));
        var config = TestRouting.Config([]) with { RuleSet = back };
        var snapshot = Decisions.SnapshotCompiler.Compile(config, TestRouting.PriceStart.AddDays(1), new FakeModelInvoker());
        Assert.Equal(kind switch { ClassifierKind.Semantic => "semantic", ClassifierKind.Llm => "llm", ClassifierKind.Hybrid => "hybrid", _ => "default-tier" }, snapshot.Classifier.Name);
    }

    [Fact]
    public void A_compiled_llm_classifier_exposes_its_counters_to_the_host()
    {
        var snapshot = Snapshot(new() { Kind = ClassifierKind.Llm, Llm = ClassifierRouting.Llm }, new FakeModelInvoker());

        var counters = Assert.IsAssignableFrom<IClassifierCounters>(snapshot.Classifier);
        Assert.Equal(0, counters.ModelCalls);
    }
}
