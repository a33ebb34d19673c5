using System.Text.Json;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.ClassifierRouting;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class LlmClassifierTests
{
    private static readonly ClassifierDefinition Definition = new() { Kind = ClassifierKind.Llm, Llm = ClassifierRouting.Llm };

    private static (RoutingDecision Decision, RoutingSnapshot Snapshot, FakeModelInvoker Invoker) DecideWith(string answer, string prompt = "Where is my parcel?")
    {
        var invoker = new FakeModelInvoker(_ => answer);
        var snapshot = Snapshot(Definition, invoker);
        return (Decide(snapshot, Request(prompt)), snapshot, invoker);
    }

    [Theory]
    [InlineData("small", "small")]
    [InlineData(" Small.", "small")]
    [InlineData("\"large\"", "large")]
    [InlineData("medium - because the request asks for a rewrite", "medium")]
    [InlineData("LARGE\n", "large")]
    [InlineData("'medium'!", "medium")]
    public void A_label_alone_or_as_the_first_word_is_understood(string answer, string tier)
    {
        var (decision, snapshot, _) = DecideWith(answer);

        Assert.Equal(tier, decision.Tier);
        Assert.Equal("llm", decision.Classifier);
        Assert.Matches($"^no rule matched \\(0 enabled\\); llm nano answered '{tier}' in \\d+ ms$", decision.Reason);
        Assert.Equal(0, ((IClassifierCounters)snapshot.Classifier).UnparseableAnswers);
    }

    [Theory]
    [InlineData("tiny", "tiny")]
    [InlineData("", "")]
    [InlineData("💥", "💥")]
    [InlineData("smallish", "smallish")]
    [InlineData("The request is about a parcel, which is a simple support question, so a small model is enough.", "The request is about a parcel, which is…")]
    public void An_unexpected_or_garbage_answer_goes_to_the_default_tier_and_is_counted(string answer, string quoted)
    {
        var (decision, snapshot, _) = DecideWith(answer);

        Assert.Equal("medium", decision.Tier);
        Assert.Matches($"^no rule matched \\(0 enabled\\); llm nano answered '{System.Text.RegularExpressions.Regex.Escape(quoted)}' in \\d+ ms \\(unparseable\\); default tier medium$", decision.Reason);
        Assert.Equal(1, ((IClassifierCounters)snapshot.Classifier).UnparseableAnswers);
    }

    [Fact]
    public void Unparseable_answers_are_counted_across_requests_and_good_ones_are_not()
    {
        var answers = new Queue<string>(["small", "banana", "large", "", "medium"]);
        var invoker = new FakeModelInvoker(_ => answers.Dequeue());
        var snapshot = Snapshot(Definition, invoker);

        for (var i = 0; i < 5; i++)
        {
            Decide(snapshot, Request($"question {i}"));
        }

        var counters = (IClassifierCounters)snapshot.Classifier;
        Assert.Equal(5, counters.ModelCalls);
        Assert.Equal(2, counters.UnparseableAnswers);
        Assert.Equal(0, counters.FailedCalls);
    }

    [Fact]
    public void Labels_map_to_tiers_and_the_trace_shows_the_mapping()
    {
        var invoker = new FakeModelInvoker(_ => "easy");
        var snapshot = Snapshot(new ClassifierDefinition
        {
            Kind = ClassifierKind.Llm,
            Llm = ClassifierRouting.Llm with { Labels = new Dictionary<string, string> { ["easy"] = "small", ["hard"] = "large" } },
        }, invoker);

        var decision = Decide(snapshot, Request("Where is my parcel?"));

        Assert.Equal("small", decision.Tier);
        Assert.Matches("llm nano answered 'easy' → small in \\d+ ms$", decision.Reason);
    }

    [Fact]
    public void An_upstream_failure_goes_to_the_default_tier_and_is_counted()
    {
        var invoker = new FakeModelInvoker { Failing = true };
        var snapshot = Snapshot(Definition, invoker);

        var decision = Decide(snapshot, Request("Where is my parcel?"));

        Assert.Equal("medium", decision.Tier);
        Assert.Matches("llm nano failed after \\d+ ms \\(upstream 503\\); default tier medium$", decision.Reason);
        Assert.Equal(1, ((IClassifierCounters)snapshot.Classifier).FailedCalls);
        Assert.Equal(0, ((IClassifierCounters)snapshot.Classifier).UnparseableAnswers);
    }

    [Fact]
    public void The_model_gets_the_prompt_with_labels_filled_in_the_last_user_message_a_few_tokens_and_temperature_zero()
    {
        var (_, _, invoker) = DecideWith("small", "Please translate this into French.");

        var call = Assert.Single(invoker.Completions);
        Assert.Equal("nano", call.Model);
        Assert.Equal(2, call.Messages.Count);
        Assert.Equal("system", call.Messages[0].Role);
        Assert.Contains("Answer with exactly one of these labels: small, medium, large.", call.Messages[0].Text, StringComparison.Ordinal);
        Assert.DoesNotContain("{labels}", call.Messages[0].Text, StringComparison.Ordinal);
        Assert.Equal(new ChatTurn("user", "Please translate this into French."), call.Messages[1]);
        Assert.Equal(LlmClassifierDefinition.DefaultMaxTokens, call.MaxTokens);
        using var body = JsonDocument.Parse(call.Body);
        Assert.Equal(0, body.RootElement.GetProperty("temperature").GetDouble());
    }

    [Fact]
    public void Only_the_last_user_message_is_classified()
    {
        var invoker = new FakeModelInvoker(_ => "large");
        var snapshot = Snapshot(Definition, invoker);

        Decide(snapshot, Raw("""
            {"model":"auto","messages":[
              {"role":"system","content":"You are a support bot."},
              {"role":"user","content":"hi"},
              {"role":"assistant","content":"Hello!"},
              {"role":"user","content":"Explain our refund policy."}]}
            """));

        Assert.Equal("Explain our refund policy.", Assert.Single(invoker.Completions).Messages[^1].Text);
    }

    [Fact]
    public void A_rule_that_matches_means_the_model_is_not_called()
    {
        var invoker = new FakeModelInvoker(_ => "large");
        var snapshot = Snapshot(Definition, invoker, [Rule("parcels", "small", new KeywordCondition(KeywordMatch.Any, ["parcel"]))]);

        var decision = Decide(snapshot, Request("Where is my parcel?"));

        Assert.Equal(DecisionSource.Rule, decision.Source);
        Assert.Equal(0, invoker.CompletionCalls);
    }
}
