using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

/// <summary>The request's embedding is computed only when something needs it, once, and shared; a local vectoriser's example vectors exist at publish.</summary>
public sealed class RequestEmbeddingTests
{
    private static RoutingSnapshot Compile(FakeEmbedder embedder, params RuleDefinition[] rules) =>
        SnapshotCompiler.Compile(
            ClassifierRouting.Config(
                new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic with { Vectoriser = Vectoriser.MiniLm, Threshold = 0.5, Neighbours = 1 } },
                rules),
            PriceStart.AddDays(1),
            embedder: embedder);

    [Fact]
    public async Task A_request_is_embedded_once_even_when_asked_twice()
    {
        var embedder = new FakeEmbedder();
        using var request = Request("Where is my parcel?");

        var first = await request.EmbeddingAsync(embedder, TestContext.Current.CancellationToken);
        var second = await request.EmbeddingAsync(embedder, TestContext.Current.CancellationToken);

        Assert.Same(first, second);
        Assert.Equal(["Where is my parcel?"], embedder.Single);
    }

    [Fact]
    public async Task Two_parts_asking_while_the_embedding_is_still_running_share_that_one_run()
    {
        var embedder = new FakeEmbedder { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using var request = Request("Where is my parcel?");

        var classifier = request.EmbeddingAsync(embedder, TestContext.Current.CancellationToken).AsTask();
        var cache = request.EmbeddingAsync(embedder, TestContext.Current.CancellationToken).AsTask();
        Assert.False(classifier.IsCompleted);
        embedder.Gate.SetResult();

        Assert.Same(await classifier, await cache);
        Assert.Single(embedder.Single);
    }

    [Fact]
    public async Task A_failed_embedding_fails_every_ask_of_that_request_without_running_again()
    {
        var embedder = new FakeEmbedder { LoadError = "the model could not be loaded: no such file" };
        using var request = Request("Where is my parcel?");

        await Assert.ThrowsAsync<EmbeddingException>(() => request.EmbeddingAsync(embedder, TestContext.Current.CancellationToken).AsTask());
        await Assert.ThrowsAsync<EmbeddingException>(() => request.EmbeddingAsync(embedder, TestContext.Current.CancellationToken).AsTask());
        Assert.Single(embedder.Single);
    }

    [Fact]
    public async Task A_local_vectoriser_embeds_the_example_prompts_when_the_rule_set_is_compiled_not_per_request()
    {
        var embedder = new FakeEmbedder();

        var snapshot = Compile(embedder);

        var examples = Assert.Single(embedder.Batches);
        Assert.Equal(ClassifierRouting.Examples.Values.Sum(e => e.Count), examples.Count);
        Assert.Empty(embedder.Single);
        var live = Assert.IsAssignableFrom<IVectorisedClassifier>(snapshot.Classifier);
        Assert.Equal(("Fake", examples.Count, (string?)null), (live.Vectoriser, live.ExampleCount, live.ExampleError));

        using var request = Request("Where is my parcel?");
        var pending = snapshot.DecideAsync(request, TestContext.Current.CancellationToken);
        Assert.True(pending.IsCompletedSuccessfully, "a local embedder decides synchronously");
        Assert.Equal("small", (await pending).Tier);
        Assert.Single(embedder.Batches);
        Assert.Equal(["Where is my parcel?"], embedder.Single);
    }

    [Fact]
    public async Task The_trace_names_the_vectoriser_that_decided()
    {
        var snapshot = Compile(new FakeEmbedder("MiniLM"));
        using var request = Request("Where is my parcel?");

        var decision = await snapshot.DecideAsync(request, TestContext.Current.CancellationToken);

        Assert.StartsWith("no rule matched (0 enabled); semantic (MiniLM): small by vote share 1.00; nearest example 'Where is my parcel?', similarity 1.00", decision.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_a_rule_decides_is_never_embedded()
    {
        var embedder = new FakeEmbedder();
        var snapshot = Compile(embedder, Rule("parcels", "large", new KeywordCondition(KeywordMatch.Any, ["parcel"])));
        using var request = Request("Where is my parcel?");

        var decision = await snapshot.DecideAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(("parcels", "large"), (decision.Rule, decision.Tier));
        Assert.Empty(embedder.Single);
    }

    [Fact]
    public async Task When_the_local_model_cannot_load_requests_go_to_the_default_tier_and_the_trace_says_why()
    {
        var embedder = new FakeEmbedder("MiniLM") { LoadError = "the MiniLM model could not be loaded: libonnxruntime.so not found" };

        var snapshot = Compile(embedder);
        using var request = Request("Where is my parcel?");
        var decision = await snapshot.DecideAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal("medium", decision.Tier);
        Assert.EndsWith("semantic (MiniLM): failed (the MiniLM model could not be loaded: libonnxruntime.so not found); default tier medium", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(embedder.LoadError, ((IVectorisedClassifier)snapshot.Classifier).ExampleError);
        Assert.True(((IClassifierCounters)snapshot.Classifier).FailedCalls >= 1);
    }

    [Fact]
    public void A_rule_set_using_MiniLM_does_not_compile_without_the_local_model_and_says_so()
    {
        var error = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(
            ClassifierRouting.Config(new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = ClassifierRouting.Semantic with { Vectoriser = Vectoriser.MiniLm } }),
            PriceStart.AddDays(1)));

        Assert.Contains(error.Errors, e => e.Contains("MiniLM vectoriser is not available", StringComparison.Ordinal));
    }
}
