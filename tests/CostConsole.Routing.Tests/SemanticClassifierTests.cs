using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.ClassifierRouting;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class SemanticClassifierTests
{
    private static readonly RoutingSnapshot Semantic = Snapshot(new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic });

    private static ClassifierVerdict Classify(RoutingSnapshot snapshot, string prompt)
    {
        using var request = Request(prompt);
        var pending = snapshot.Classifier.ClassifyAsync(request, TestContext.Current.CancellationToken);
        Assert.True(pending.IsCompletedSuccessfully, "the offline vectoriser decides synchronously");
        return pending.Result;
    }

    [Fact]
    public void Prompts_it_was_not_given_go_to_the_tier_a_person_would_choose_at_least_four_times_in_five()
    {
        var wrong = Unseen
            .Select(u => (u.Prompt, u.Tier, Verdict: Classify(Semantic, u.Prompt)))
            .Where(x => x.Verdict.Tier != x.Tier)
            .Select(x => $"{x.Prompt} → {x.Verdict.Reason}")
            .ToList();

        Assert.True(wrong.Count <= Unseen.Length / 5, $"{wrong.Count} of {Unseen.Length} wrong:\n{string.Join("\n", wrong)}");
    }

    [Fact]
    public void A_confident_verdict_names_the_tier_its_vote_share_and_the_nearest_example()
    {
        var verdict = Classify(Semantic, "Where is my parcel?");

        Assert.Equal("small", verdict.Tier);
        Assert.StartsWith("semantic (TF-IDF): small ", verdict.Reason, StringComparison.Ordinal);
        Assert.Matches(@"small by vote share [01]\.\d\d; nearest example", verdict.Reason);
        Assert.Contains("; nearest example 'Where is my parcel?', similarity 1.00 ≥ threshold 0.20", verdict.Reason, StringComparison.Ordinal);
        Assert.InRange(verdict.Score!.Value, 0.34, 1.0);
    }

    [Fact]
    public void A_prompt_unlike_every_example_goes_to_the_default_tier_with_its_best_similarity()
    {
        var verdict = Classify(Semantic, "Zebras quietly juxtapose xylophones.");

        Assert.Equal("medium", verdict.Tier);
        Assert.Matches(@"^semantic \(TF-IDF\): nearest similarity 0\.\d\d below threshold 0\.20; default tier medium$", verdict.Reason);
        Assert.True(verdict.Score < 0.2);
    }

    [Fact]
    public void An_empty_prompt_goes_to_the_default_tier()
    {
        var verdict = Classify(Semantic, "   ");

        Assert.Equal("medium", verdict.Tier);
        Assert.Equal("semantic (TF-IDF): nearest similarity 0.00 below threshold 0.20; default tier medium", verdict.Reason);
    }

    [Fact]
    public void The_same_prompt_gets_the_same_verdict_from_separately_compiled_snapshots()
    {
        var again = Snapshot(new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic });

        foreach (var (prompt, _) in Unseen)
        {
            Assert.Equal(Classify(Semantic, prompt), Classify(again, prompt));
        }
    }

    [Fact]
    public void Letter_case_and_punctuation_do_not_change_the_verdict()
    {
        Assert.Equal(Classify(Semantic, "how do i reset my password").Tier, Classify(Semantic, "HOW DO I RESET MY PASSWORD???").Tier);
        Assert.Equal(Classify(Semantic, "how do i reset my password").Score, Classify(Semantic, "HOW DO I RESET MY PASSWORD???").Score);
    }

    [Fact]
    public void Raising_the_threshold_sends_weak_matches_to_the_default_tier()
    {
        var strict = Snapshot(new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic with { Threshold = 0.95 } });

        Assert.Equal("medium", Classify(strict, "How do I change my password?").Tier);
        Assert.Equal("small", Classify(strict, "How do I reset my password?").Tier);
    }

    [Fact]
    public void A_decision_without_a_matching_rule_carries_the_semantic_reason_and_score_in_its_trace()
    {
        var snapshot = Snapshot(
            new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic },
            rules: [Rule("code", "large", new KeywordCondition(KeywordMatch.Any, ["stacktrace"]))]);
        var expected = Classify(snapshot, "Where is my parcel? It was due yesterday.");

        var decision = Decide(snapshot, Request("Where is my parcel? It was due yesterday."));

        Assert.Equal(DecisionSource.Classifier, decision.Source);
        Assert.Equal("semantic", decision.Classifier);
        Assert.Equal("small", decision.Tier);
        Assert.Equal("sim/nano", decision.Model.Key);
        Assert.Equal(expected.Score, decision.ClassifierScore);
        Assert.Equal("no rule matched (1 enabled); " + expected.Reason, decision.Reason);
    }

    [Fact]
    public void Embeddings_are_fetched_once_for_the_examples_and_once_per_prompt()
    {
        var invoker = new FakeModelInvoker { Embed = LetterHistogram };
        var snapshot = SnapshotCompiler.Compile(
            Config(new ClassifierDefinition
            {
                Kind = ClassifierKind.Semantic,
                Semantic = ClassifierRouting.Semantic with { Vectoriser = Vectoriser.Embeddings, EmbeddingModel = "sim/embed", Threshold = 0.5, Neighbours = 1 },
            }, extraModel: new("embed", "sim", "Embeddings", "small", 8192, Catalogue.ModelCapabilities.None)),
            PriceStart.AddDays(1),
            invoker);

        var first = Decide(snapshot, Request("Where is my parcel?"));
        var second = Decide(snapshot, Request("How do I reset my password?"));

        Assert.Equal("small", first.Tier);
        Assert.Equal("small", second.Tier);
        var calls = invoker.Embeddings.ToArray();
        Assert.Equal(3, calls.Length);
        Assert.Equal(Examples.Values.Sum(e => e.Count), calls[0].Count);
        Assert.Equal(["Where is my parcel?"], calls[1]);
        Assert.Equal(["How do I reset my password?"], calls[2]);
        Assert.Equal(3, ((IClassifierCounters)snapshot.Classifier).ModelCalls);
    }

    [Fact]
    public void When_the_embeddings_model_fails_the_default_tier_is_used_and_the_failure_counted()
    {
        var invoker = new FakeModelInvoker { Failing = true };
        var snapshot = SnapshotCompiler.Compile(
            Config(new ClassifierDefinition
            {
                Kind = ClassifierKind.Semantic,
                Semantic = ClassifierRouting.Semantic with { Vectoriser = Vectoriser.Embeddings, EmbeddingModel = "nano" },
            }),
            PriceStart.AddDays(1),
            invoker);

        var decision = Decide(snapshot, Request("Where is my parcel?"));

        Assert.Equal("medium", decision.Tier);
        Assert.EndsWith("semantic (embeddings model nano): failed (upstream 503); default tier medium", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(1, ((IClassifierCounters)snapshot.Classifier).FailedCalls);
    }

    [Fact]
    public void Example_embeddings_that_failed_are_fetched_again_by_the_next_request()
    {
        var invoker = new FakeModelInvoker { Failing = true, Embed = LetterHistogram };
        var snapshot = SnapshotCompiler.Compile(
            Config(new ClassifierDefinition
            {
                Kind = ClassifierKind.Semantic,
                Semantic = ClassifierRouting.Semantic with { Vectoriser = Vectoriser.Embeddings, EmbeddingModel = "nano", Threshold = 0.5, Neighbours = 1 },
            }),
            PriceStart.AddDays(1),
            invoker);

        Assert.Equal("medium", Decide(snapshot, Request("Where is my parcel?")).Tier);
        invoker.Failing = false;
        Assert.Equal("small", Decide(snapshot, Request("Where is my parcel?")).Tier);
        Assert.Equal("small", Decide(snapshot, Request("Where is my parcel?")).Tier);

        Assert.Equal(2, invoker.Embeddings.Count(inputs => inputs.Count > 1));
    }

    /// <summary>A crude but deterministic embedding: how often each letter occurs.</summary>
    private static float[] LetterHistogram(string text)
    {
        var vector = new float[26];
        foreach (var c in text.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z')
            {
                vector[c - 'a']++;
            }
        }

        return vector;
    }
}
