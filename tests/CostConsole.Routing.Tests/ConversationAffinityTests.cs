using System.Diagnostics;
using System.Text.Json;
using CostConsole.Routing.Affinity;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class ConversationAffinityTests
{
    private static readonly DateTimeOffset FirstTurn = PriceStart.AddDays(1);

    // Turn one is a plain question (default tier medium: sim/mini); turn two mentions an invoice, which the rule sends to large (sim/big).
    private const string Question = "Where is my order?";
    private const string InvoiceQuestion = "Why does my invoice show two charges?";

    private static RuleDefinition Billing(bool hard = false) =>
        Rule("billing", "large", new KeywordCondition(KeywordMatch.Any, ["invoice"])) with { Hard = hard };

    [Fact]
    public async Task A_conversation_stays_on_the_model_of_its_earlier_turns_within_the_window()
    {
        var (pipeline, ledger, _) = Pipeline(Billing());

        await TurnAsync(pipeline, Question, FirstTurn);
        var second = await TurnAsync(pipeline, InvoiceQuestion, FirstTurn.AddMinutes(2));

        Assert.Equal("sim/mini", second.Model!.Key);
        Assert.Equal(["sim/mini", "sim/big", "backup/big-backup"], second.Decision!.Candidates.Select(c => c.Key));
        Assert.Equal("medium", ledger.Entries[1].Tier);
        Assert.Equal(0m, ledger.Entries[1].ColdCacheCost);
    }

    [Fact]
    public async Task The_trace_says_when_affinity_decided()
    {
        var (pipeline, ledger, _) = Pipeline(Billing());

        await TurnAsync(pipeline, Question, FirstTurn);
        await TurnAsync(pipeline, InvoiceQuestion, FirstTurn.AddSeconds(90));

        Assert.DoesNotContain("affinity", ledger.Entries[0].Decision, StringComparison.Ordinal);
        Assert.Contains(
            "conversation affinity: kept on sim/mini, which served this conversation 1.5 min ago and whose prompt cache is likely warm (the router chose sim/big)",
            ledger.Entries[1].Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_the_window_the_conversation_is_routed_afresh()
    {
        var (pipeline, ledger, _) = Pipeline(Billing());

        await TurnAsync(pipeline, Question, FirstTurn);
        var second = await TurnAsync(pipeline, InvoiceQuestion, FirstTurn.AddMinutes(5).AddSeconds(1));

        Assert.Equal("sim/big", second.Model!.Key);
        Assert.DoesNotContain("affinity", ledger.Entries[1].Decision, StringComparison.Ordinal);
        Assert.Equal(0m, ledger.Entries[1].ColdCacheCost);
    }

    [Fact]
    public async Task Another_conversation_is_routed_on_its_own()
    {
        var (pipeline, _, _) = Pipeline(Billing());

        await TurnAsync(pipeline, Question, FirstTurn);
        var other = await TurnAsync(pipeline, InvoiceQuestion, FirstTurn.AddMinutes(1), conversation: "conv-2");

        Assert.Equal("sim/big", other.Model!.Key);
    }

    [Fact]
    public async Task A_hard_rule_moves_the_conversation_and_records_the_cold_cache_cost()
    {
        var (pipeline, ledger, invoker) = Pipeline(Billing(hard: true));

        invoker.Usage = new TokenUsage(5_000, 0, 40);
        await TurnAsync(pipeline, Question, FirstTurn);
        invoker.Usage = new TokenUsage(6_000, 0, 40);
        var second = await TurnAsync(pipeline, InvoiceQuestion, FirstTurn.AddMinutes(2));

        Assert.Equal("sim/big", second.Model!.Key);
        Assert.Contains("conversation affinity: moved off sim/mini (served this conversation 2 min ago) because rule #1 'billing' is marked hard", ledger.Entries[1].Decision, StringComparison.Ordinal);

        // sim/mini's cache likely held the last prompt, 5,000 tokens (≤ this turn's 6,000), which it would have billed at
        // $0.10/M instead of $0.40/M: 5,000 × $0.30/M = $0.0015.
        Assert.Equal(0.0015m, ledger.Entries[1].ColdCacheCost);
    }

    [Fact]
    public async Task A_rule_that_pins_a_model_moves_the_conversation()
    {
        var pin = new RuleDefinition { Name = "refunds to big", Conditions = [new KeywordCondition(KeywordMatch.Any, ["invoice"])], Action = RuleAction.ToModel("big") };
        var (pipeline, ledger, _) = Pipeline(pin);

        await TurnAsync(pipeline, Question, FirstTurn);
        var second = await TurnAsync(pipeline, InvoiceQuestion, FirstTurn.AddMinutes(1));

        Assert.Equal("sim/big", second.Model!.Key);
        Assert.Contains("because rule #1 'refunds to big' pins a model", ledger.Entries[1].Decision, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_naming_a_tier_moves_the_conversation()
    {
        var (pipeline, ledger, _) = Pipeline();

        await TurnAsync(pipeline, Question, FirstTurn);
        var second = await TurnAsync(pipeline, Question, FirstTurn.AddMinutes(1), model: "small");

        Assert.Equal("sim/nano", second.Model!.Key);
        Assert.Contains("because the request names tier 'small'", ledger.Entries[1].Decision, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1_023, 6_000, 0, "0")]          // shorter than providers cache: nothing lost
    [InlineData(5_000, 3_000, 0, "0.0009")]     // at most this turn's prompt: 3,000 × $0.30/M
    [InlineData(5_000, 6_000, 2_000, "0.0009")] // less what the new model read from its own cache: 3,000 × $0.30/M
    public void The_cold_cache_cost_counts_the_prefix_the_warm_model_likely_held(long lastPrompt, long prompt, long cachedNow, string expected)
    {
        var snapshot = Snapshot();
        var warm = new WarmModel("sim/mini", "medium", FirstTurn, lastPrompt);

        var cost = ConversationAffinity.ColdCacheCost(warm, snapshot.FindModel("sim/big"), new TokenUsage(prompt, cachedNow, 10), snapshot.Prices, FirstTurn, batch: false, minCachedTokens: 1024);

        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), cost);
    }

    [Fact]
    public async Task Affinity_switched_off_routes_every_turn_afresh()
    {
        var (pipeline, _, _) = Pipeline([Billing()], new ConversationAffinityOptions { Enabled = false });

        await TurnAsync(pipeline, Question, FirstTurn);
        var second = await TurnAsync(pipeline, InvoiceQuestion, FirstTurn.AddMinutes(1));

        Assert.Equal("sim/big", second.Model!.Key);
    }

    [Fact]
    public void The_memory_forgets_the_least_recently_served_conversations_past_its_bound()
    {
        var affinity = new ConversationAffinity(new ConversationAffinityOptions { MaxConversations = 10 });
        var snapshot = Snapshot();
        for (var i = 0; i < 11; i++)
        {
            affinity.Remember($"conv-{i}", FirstTurn.AddSeconds(i), new ChatOutcome { RequestId = "r", Model = snapshot.FindModel("sim/mini") });
        }

        Assert.Equal(9, affinity.Count);
        Assert.Null(affinity.WarmFor("conv-0", FirstTurn.AddSeconds(20)));
        Assert.NotNull(affinity.WarmFor("conv-10", FirstTurn.AddSeconds(20)));
    }

    [Fact]
    public void Settings_that_cannot_work_are_named_with_the_setting_to_fix()
    {
        Assert.Null(new ConversationAffinityOptions().Problem());
        Assert.Equal(
            "CostConsole:Routing:Affinity:Window must be more than zero and at most one day (got 00:00:00).",
            new ConversationAffinityOptions { Window = TimeSpan.Zero }.Problem());
        Assert.Equal(
            "CostConsole:Routing:Affinity:MaxConversations must be at least 1 (got 0).",
            new ConversationAffinityOptions { MaxConversations = 0 }.Problem());
    }

    private static Task<ChatOutcome> TurnAsync(ChatPipeline pipeline, string text, DateTimeOffset at, string conversation = "conv-1", string model = "auto")
    {
        var request = Request(text, model);
        var caller = new CallerContext("req_" + at.ToUnixTimeMilliseconds(), null, at, Stopwatch.GetTimestamp(), false, ConversationId: conversation);
        return CompleteAsync(pipeline, request, caller);
    }

    private static async Task<ChatOutcome> CompleteAsync(ChatPipeline pipeline, ChatRequest request, CallerContext caller)
    {
        using (request)
        {
            return await pipeline.CompleteAsync(request, caller, TestContext.Current.CancellationToken);
        }
    }

    private static (ChatPipeline Pipeline, ListLedger Ledger, UsageInvoker Invoker) Pipeline(params RuleDefinition[] rules) =>
        Pipeline(rules, new ConversationAffinityOptions());

    private static (ChatPipeline Pipeline, ListLedger Ledger, UsageInvoker Invoker) Pipeline(RuleDefinition[] rules, ConversationAffinityOptions options)
    {
        var state = new RoutingState();
        state.Publish(Snapshot(rules));
        var ledger = new ListLedger();
        var invoker = new UsageInvoker();
        return (new ChatPipeline(state, invoker, ledger, O200kTokenCounter.Instance, null, new DeploymentResilience(), affinity: new ConversationAffinity(options)), ledger, invoker);
    }

    internal sealed class ListLedger : ILedger
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

    /// <summary>Every model answers "ok" and reports the usage the test sets.</summary>
    private sealed class UsageInvoker : IModelInvoker
    {
        public TokenUsage Usage { get; set; } = new(2_000, 0, 20);

        public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken)
        {
            var body = JsonSerializer.Serialize(new { choices = new[] { new { index = 0, message = new { role = "assistant", content = "ok" }, finish_reason = "stop" } } });
            return Task.FromResult(new UpstreamReply { Status = 200, Body = BinaryData.FromString(body), Usage = Usage });
        }

        public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
            throw new NotSupportedException();
    }
}
