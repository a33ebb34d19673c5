using System.Diagnostics;
using System.Text.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

public sealed class EscalationTests
{
    [Fact]
    public void Confidence_is_a_low_quantile_of_token_probabilities_interpolated_between_tokens()
    {
        double[] probabilities = [0.2, 0.4, 0.6, 0.8, 1.0];
        var logprobs = probabilities.Select(p => Math.Log(p)).ToList();

        Assert.Equal(0.4, Confidence.LowQuantile(logprobs, 0.25)!.Value, 9);
        Assert.Equal(0.3, Confidence.LowQuantile(logprobs, 0.125)!.Value, 9);
        Assert.Null(Confidence.LowQuantile([], 0.1));
        Assert.Null(Confidence.LowQuantile(null, 0.1));
    }

    [Fact]
    public void A_long_answer_with_a_few_guessed_tokens_fails_on_its_low_quantile_though_its_mean_looks_fine()
    {
        var logprobs = Enumerable.Repeat(Math.Log(0.95), 85).Concat(Enumerable.Repeat(Math.Log(0.05), 15)).ToList();

        var mean = logprobs.Average(l => Math.Exp(l));
        var p10 = Confidence.LowQuantile(logprobs, 0.1)!.Value;

        Assert.True(mean > 0.8, $"mean {mean}");
        Assert.Equal(0.05, p10, 6);
    }

    [Theory]
    [InlineData("{\"status\":\"shipped\"}", null, true)]
    [InlineData("Sure! Here is the JSON: {\"status\":\"shipped\"}", null, false)]
    [InlineData("{\"status\":\"shipped\"", null, false)]
    [InlineData("{\"status\":\"shipped\"}", """{"type":"object","required":["status","eta"]}""", false)]
    [InlineData("{\"status\":\"shipped\",\"eta\":\"2026-12-01\"}", """{"type":"object","required":["status","eta"]}""", true)]
    [InlineData("{\"status\":3}", """{"type":"object","properties":{"status":{"type":"string"}}}""", false)]
    public void A_json_answer_must_parse_and_match_the_requested_schema(string answer, string? schema, bool acceptable)
    {
        Assert.Equal(acceptable, JsonAnswer.Problem(answer, schema) is null);
    }

    [Fact]
    public void A_schema_pointing_outside_itself_is_not_followed_and_only_json_validity_is_checked()
    {
        const string schema = """{"type":"object","properties":{"a":{"$ref":"http://127.0.0.1:9/evil.json"}}}""";

        Assert.Null(JsonAnswer.Problem("{\"a\":1}", schema));
        Assert.NotNull(JsonAnswer.Problem("not json", schema));
    }

    [Fact]
    public async Task Invalid_json_escalates_and_valid_json_from_the_next_tier_is_kept()
    {
        var invoker = new ScriptedInvoker(new() { ["nano"] = "{\"status\": shipped", ["mini"] = "{\"status\":\"shipped\"}" });
        var (pipeline, ledger) = Pipeline(invoker, new EscalationPolicy { MaxEscalations = 2, Tiers = [new TierGates { Tier = "small" }, new TierGates { Tier = "medium" }] });

        using var request = TestRouting.Request("Where is my order?", "small", "\"response_format\":{\"type\":\"json_object\"}");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal("mini", outcome.Model!.Model.Id);
        Assert.Equal(1, outcome.Escalations);
        var json = outcome.Attempts[0].Gates!.Single(g => g.Gate == "json");
        Assert.False(json.Passed);
        Assert.StartsWith("the answer is not valid JSON", json.Detail, StringComparison.Ordinal);
        Assert.Equal(1, ledger.Entries.Single().Escalations);
    }

    [Fact]
    public async Task Json_is_not_checked_when_the_request_did_not_ask_for_it()
    {
        var invoker = new ScriptedInvoker(new() { ["nano"] = "Your order shipped {yesterday" });
        var (pipeline, _) = Pipeline(invoker, new EscalationPolicy { Tiers = [new TierGates { Tier = "small" }] });

        using var request = TestRouting.Request("Where is my order?", "small");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal((0, "nano"), (outcome.Escalations, outcome.Model!.Model.Id));
        Assert.DoesNotContain(outcome.Attempts[0].Gates!, g => g.Gate == "json");
    }

    [Theory]
    [InlineData("I’m sorry, but I can’t share order 123.", "refusal")]
    [InlineData("Your order is on its way.", "must-match")]
    [InlineData("Order 123 shipped. Call +1 555 0100 for help.", "must-not-match")]
    public async Task Refusals_and_patterns_escalate(string answer, string failingGate)
    {
        var invoker = new ScriptedInvoker(new() { ["nano"] = answer, ["mini"] = "Order 123 shipped yesterday." });
        var gates = new TierGates { Tier = "small", RefusalPhrases = TierGates.DefaultRefusalPhrases, MustMatch = [@"\border \d+"], MustNotMatch = [@"\+\d[\d ]{6,}"] };
        var (pipeline, _) = Pipeline(invoker, new EscalationPolicy { Tiers = [gates] });

        using var request = TestRouting.Request("Where is order 123?", "small");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal("mini", outcome.Model!.Model.Id);
        Assert.Equal([failingGate], outcome.Attempts[0].Gates!.Where(g => !g.Passed).Select(g => g.Gate));
    }

    [Fact]
    public async Task A_tool_call_without_text_is_not_failed_by_the_json_confidence_or_pattern_gates_for_lack_of_text()
    {
        var invoker = new ScriptedInvoker([]) { ToolCall = "track_order", FinishReason = "tool_calls" };
        var gates = new TierGates { Tier = "small", MinConfidence = 0.9, MustMatch = [@"\border\b"], RefusalPhrases = TierGates.DefaultRefusalPhrases };
        var (pipeline, ledger) = Pipeline(invoker, new EscalationPolicy { Tiers = [gates] });

        using var request = TestRouting.Request("Where is order 123?", "small",
            "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"track_order\"}}],\"response_format\":{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"a\",\"schema\":{\"type\":\"object\",\"required\":[\"status\"]}}}");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal(("nano", 0, ReviewState.None), (outcome.Model!.Model.Id, outcome.Escalations, outcome.Review));
        var results = outcome.Attempts[0].Gates!;
        Assert.All(results, g => Assert.True(g.Passed, g.Gate + ": " + g.Detail));
        Assert.Equal("a tool call; not checked", results.Single(g => g.Gate == "json").Detail);
        Assert.Equal("a tool call; not checked", results.Single(g => g.Gate == "confidence").Detail);
        Assert.Equal(0, ledger.Entries.Single().Escalations);
    }

    [Fact]
    public async Task A_tool_call_cut_off_by_its_token_limit_still_escalates()
    {
        var invoker = new ScriptedInvoker([]) { ToolCall = "track_order", FinishReason = "length" };
        var (pipeline, _) = Pipeline(invoker, new EscalationPolicy { Tiers = [new TierGates { Tier = "small" }] });

        using var request = TestRouting.Request("Where is order 123?", "small", "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"track_order\"}}]");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal(1, outcome.Escalations);
        Assert.Equal(["truncation"], outcome.Attempts[0].Gates!.Where(g => !g.Passed).Select(g => g.Gate));
    }

    [Fact]
    public async Task A_truncated_answer_escalates_and_when_nothing_is_above_it_is_returned_flagged()
    {
        var invoker = new ScriptedInvoker(new() { ["big"] = "The quarterly plan has three" }) { FinishReason = "length" };
        var (pipeline, ledger) = Pipeline(invoker, new EscalationPolicy { MaxEscalations = 3, Tiers = [new TierGates { Tier = "large" }] });

        using var request = TestRouting.Request("Plan the quarter", "large");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        // The large tier's fallback model is in the same tier: a failed gate does not fall back, it escalates, and there is no tier above.
        Assert.Equal(("big", ReviewState.Open, 0), (outcome.Model!.Model.Id, outcome.Review, outcome.Escalations));
        Assert.Single(outcome.Attempts);
        Assert.Equal(ReviewState.Open, ledger.Entries.Single().Review);
    }

    [Fact]
    public async Task The_number_of_escalations_never_exceeds_the_bound()
    {
        var invoker = new ScriptedInvoker(new() { ["nano"] = "I can't help with that", ["mini"] = "I can't help with that", ["big"] = "Here it is." });
        var refuse = TierGates.DefaultRefusalPhrases;
        var policy = new EscalationPolicy { MaxEscalations = 1, Tiers = [new TierGates { Tier = "small", RefusalPhrases = refuse }, new TierGates { Tier = "medium", RefusalPhrases = refuse }] };
        var (pipeline, _) = Pipeline(invoker, policy);

        using var request = TestRouting.Request("Reset my password", "small");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal(("mini", 1, ReviewState.Open), (outcome.Model!.Model.Id, outcome.Escalations, outcome.Review));
        Assert.Equal(["nano", "mini"], invoker.Calls);
    }

    [Fact]
    public async Task When_the_tier_above_cannot_answer_the_held_answer_is_returned_flagged()
    {
        var invoker = new ScriptedInvoker(new() { ["nano"] = "I can't help with that" }) { Failing = ["mini", "big", "big-backup"] };
        var (pipeline, _) = Pipeline(invoker, new EscalationPolicy { Tiers = [new TierGates { Tier = "small", RefusalPhrases = TierGates.DefaultRefusalPhrases }] });

        using var request = TestRouting.Request("Reset my password", "small");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.True(outcome.IsSuccess);
        Assert.Equal(("nano", ReviewState.Open), (outcome.Model!.Model.Id, outcome.Review));

        // The answer the client got is not counted as thrown away.
        Assert.Equal(0m, outcome.EscalationCost);
        Assert.True(outcome.Cost > 0m);
    }

    [Theory]
    [InlineData(Catalogue.ModelCapabilities.Tools, false)]
    [InlineData(Catalogue.ModelCapabilities.Tools | Catalogue.ModelCapabilities.Logprobs, true)]
    public async Task Logprobs_are_asked_for_only_from_models_the_catalogue_says_return_them(Catalogue.ModelCapabilities capabilities, bool asked)
    {
        var invoker = new ScriptedInvoker([]);
        var config = TestRouting.Config([]);
        config = config with
        {
            Models = [.. config.Models.Select(m => m.Id == "nano" ? m with { Capabilities = capabilities } : m)],
            RuleSet = config.RuleSet with { Escalation = new EscalationPolicy { Tiers = [new TierGates { Tier = "small", MinConfidence = 0.5 }] } },
        };
        var state = new RoutingState();
        state.Publish(SnapshotCompiler.Compile(config, TestRouting.PriceStart.AddDays(1)));
        var pipeline = new ChatPipeline(state, invoker, new ListLedger(), O200kTokenCounter.Instance);

        using var request = TestRouting.Request("Where is my order?", "small");
        var outcome = await pipeline.CompleteAsync(request, Caller(), TestContext.Current.CancellationToken);

        Assert.Equal([asked], invoker.Options.Select(o => o.Logprobs));
        Assert.Equal("the provider returned no logprobs; not checked", outcome.Attempts[0].Gates!.Single(g => g.Gate == "confidence").Detail);
    }

    [Fact]
    public void Gates_are_checked_when_the_rule_set_compiles()
    {
        var config = TestRouting.Config([]) with
        {
            RuleSet = new() { DefaultTier = "medium", Escalation = new EscalationPolicy
            {
                MaxEscalations = -1,
                Tiers =
                [
                    new TierGates { Tier = "small", ConfidenceQuantile = 0.9, Judge = new JudgeDefinition { Model = "gpt-9", Prompt = "Grade this.", MinScore = 7 } },
                    new TierGates { Tier = "small" },
                ],
            } },
        };

        var error = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(config, TestRouting.PriceStart.AddDays(1)));

        Assert.Contains(error.Errors, e => e.Contains("(0 turns escalation off)", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("quantile must be above 0 and at most 0.5", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("'gpt-9', which is not an enabled catalogue model", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("must contain {question} and {answer}", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("between 1 and 5, not 7", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("has gates defined more than once", StringComparison.Ordinal));
    }

    private static CallerContext Caller() => new("req_test", null, TestRouting.PriceStart.AddDays(1), Stopwatch.GetTimestamp(), false);

    private static (ChatPipeline Pipeline, ListLedger Ledger) Pipeline(IModelInvoker invoker, EscalationPolicy policy)
    {
        var config = TestRouting.Config([]);
        var state = new RoutingState();
        state.Publish(SnapshotCompiler.Compile(config with { RuleSet = config.RuleSet with { Escalation = policy } }, TestRouting.PriceStart.AddDays(1)));
        var ledger = new ListLedger();

        // No retries: these tests are about answers, not transient failures.
        return (new ChatPipeline(state, invoker, ledger, O200kTokenCounter.Instance, null, new DeploymentResilience()), ledger);
    }

    private sealed class ListLedger : ILedger
    {
        public List<LedgerEntry> Entries { get; } = [];

        public ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
        {
            lock (Entries)
            {
                Entries.Add(entry);
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>Each model answers its scripted text; models in <see cref="Failing"/> refuse with a 400 so nothing retries.</summary>
    private sealed class ScriptedInvoker(Dictionary<string, string> answers) : IModelInvoker
    {
        public List<string> Calls { get; } = [];

        public List<UpstreamOptions> Options { get; } = [];

        public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken)
        {
            Options.Add(options);
            return CompleteAsync(target, request, cancellationToken);
        }

        public string FinishReason { get; init; } = "stop";

        public string[] Failing { get; init; } = [];

        /// <summary>When set, every model answers by calling this function, with no text.</summary>
        public string? ToolCall { get; init; }

        public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken)
        {
            Calls.Add(target.Model.Id);
            if (Failing.Contains(target.Model.Id))
            {
                return Task.FromResult(new UpstreamReply { Status = 404, Body = BinaryData.Empty, Failure = UpstreamFailure.Timeout, Error = "gone" });
            }

            var content = answers.GetValueOrDefault(target.Model.Id, "Fine.");
            object message = ToolCall is { } call
                ? new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = "call_1", type = "function", function = new { name = call, arguments = "{\"order\":\"123\"}" } } } }
                : new { role = "assistant", content };
            var body = JsonSerializer.Serialize(new
            {
                choices = new[] { new { index = 0, message, finish_reason = FinishReason } },
                usage = new { prompt_tokens = 20, completion_tokens = 10 },
            });
            return Task.FromResult(new UpstreamReply { Status = 200, Body = BinaryData.FromString(body), Usage = new(20, 0, 10), FinishReason = FinishReason });
        }

        public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
