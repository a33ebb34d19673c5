using CostConsole.Routing.Classification;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.ClassifierRouting;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class HybridClassifierTests
{
    private static readonly ClassifierDefinition Definition = new() { Kind = ClassifierKind.Hybrid, Semantic = ClassifierRouting.Semantic, Llm = ClassifierRouting.Llm };

    [Fact]
    public void A_prompt_close_to_an_example_is_decided_without_calling_the_model()
    {
        var invoker = new FakeModelInvoker(_ => "large");
        var snapshot = Snapshot(Definition, invoker);

        var decision = Decide(snapshot, Request("Where is my parcel?"));

        Assert.Equal("small", decision.Tier);
        Assert.Equal("hybrid", decision.Classifier);
        Assert.Contains("semantic (TF-IDF): small ", decision.Reason, StringComparison.Ordinal);
        Assert.Equal(0, invoker.CompletionCalls);
    }

    [Fact]
    public void A_prompt_unlike_every_example_is_sent_to_the_model_and_the_trace_shows_both()
    {
        var invoker = new FakeModelInvoker(_ => "large");
        var snapshot = Snapshot(Definition, invoker);

        var decision = Decide(snapshot, Request("Zebras quietly juxtapose xylophones."));

        Assert.Equal("large", decision.Tier);
        Assert.Equal(1, invoker.CompletionCalls);
        Assert.Matches(@"^no rule matched \(0 enabled\); semantic \(TF-IDF\): nearest similarity 0\.\d\d below threshold 0\.20; llm nano answered 'large' in \d+ ms$", decision.Reason);
        Assert.Equal(1, ((IClassifierCounters)snapshot.Classifier).ModelCalls);
    }

    [Fact]
    public void Over_a_mixed_batch_the_model_is_called_only_for_the_prompts_below_the_threshold()
    {
        var invoker = new FakeModelInvoker(_ => "medium");
        var snapshot = Snapshot(Definition, invoker);
        string[] prompts = ["Where is my parcel?", "Zebras quietly juxtapose xylophones.", "How do I reset my password?", "Qwerty uiop zxcvb."];

        var decisions = prompts.Select(p => Decide(snapshot, Request(p))).ToList();

        Assert.Equal(2, invoker.CompletionCalls);
        Assert.Equal(["Zebras quietly juxtapose xylophones.", "Qwerty uiop zxcvb."], invoker.Completions.Select(c => c.Messages[^1].Text));
        Assert.Equal(["small", "medium", "small", "medium"], decisions.Select(d => d.Tier));
    }

    [Fact]
    public void When_the_model_fails_below_the_threshold_the_default_tier_is_used_and_both_reasons_shown()
    {
        var invoker = new FakeModelInvoker { Failing = true };
        var snapshot = Snapshot(Definition, invoker);

        var decision = Decide(snapshot, Request("Zebras quietly juxtapose xylophones."));

        Assert.Equal("medium", decision.Tier);
        Assert.Matches(@"semantic \(TF-IDF\): nearest similarity 0\.\d\d below threshold 0\.20; llm nano failed after \d+ ms \(upstream 503\); default tier medium$", decision.Reason);
        Assert.Equal(1, ((IClassifierCounters)snapshot.Classifier).FailedCalls);
    }
}
