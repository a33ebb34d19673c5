using Bunit;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Components.Playground;
using CostConsole.Web.Playground;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class PlaygroundComponentTests : ConsoleTestContext
{
    private readonly RecordingLedger _ledger = new();

    private IRenderedComponent<CostConsole.Web.Components.Pages.Playground> RenderPlayground()
    {
        var pipeline = new ChatPipeline(Database.Routing, Database.Invoker, _ledger, O200kTokenCounter.Instance);
        Services.AddSingleton(new PlaygroundRunner(pipeline, O200kTokenCounter.Instance));
        Services.AddSingleton(new LabelledExamples(Database.Factory, TimeProvider.System));
        Render<MudPopoverProvider>();
        return Render<CostConsole.Web.Components.Pages.Playground>();
    }

    [Fact]
    public async Task Tools_that_are_not_a_json_array_are_refused_with_the_reason_and_nothing_is_sent()
    {
        var page = RenderPlayground();
        await page.Find("[data-testid=turn-1]").InputAsync(new() { Value = "Where is my order?" });
        await page.Find("[data-testid=playground-tools]").InputAsync(new() { Value = "{\"type\": \"function\"}" });

        await page.Find("[data-testid=playground-send]").ClickAsync(new());

        page.WaitForAssertion(() => Assert.Contains("Tools must be a JSON array", page.Find("[data-testid=playground-problems]").TextContent, StringComparison.Ordinal));
        Assert.Empty(_ledger.Entries);
        Assert.Empty(page.FindAll("[data-testid=playground-trace]"));
    }

    [Fact]
    public async Task Tools_that_are_not_json_at_all_are_refused_and_a_conversation_without_a_user_message_too()
    {
        var page = RenderPlayground();
        await page.Find("[data-testid=playground-tools]").InputAsync(new() { Value = "[{\"type\": " });

        await page.Find("[data-testid=playground-compare]").ClickAsync(new());

        page.WaitForAssertion(() =>
        {
            var problems = page.Find("[data-testid=playground-problems]").TextContent;
            Assert.Contains("Tools is not valid JSON", problems, StringComparison.Ordinal);
            Assert.Contains("Write a user message", problems, StringComparison.Ordinal);
        });
        Assert.Empty(_ledger.Entries);
    }

    [Fact]
    public void The_trace_shows_the_decision_each_attempt_with_its_kind_and_the_gates_it_passed_or_failed()
    {
        var small = Database.Routing.Current.CandidatesFor("small")[0];
        var medium = Database.Routing.Current.CandidatesFor("medium").First(c => c.Tier == "medium");
        var decision = new RoutingDecision
        {
            RequestedModel = "auto",
            Source = DecisionSource.Rule,
            Tier = "small",
            Rule = "faq",
            RulePosition = 1,
            Reason = "rule #1 'faq' matched → small",
            Mapping = "default",
            Candidates = [small, medium],
            RuleSetVersion = 3,
            RulesEvaluated = 1,
        };
        var outcome = new ChatOutcome
        {
            RequestId = "req_test",
            Decision = decision,
            Model = medium,
            Usage = new TokenUsage(120, 20, 80),
            Cost = 0.00043m,
            EscalationCost = 0.00003m,
            BaselineCost = 0.0012m,
            Priced = true,
            LatencyMs = 950,
            TimeToFirstTokenMs = 310,
            Escalations = 1,
            Attempts =
            [
                new AttemptRecord(small.Key, "simulator", "small", 429, "rate limited", 0, 0, 0m, 12) { Kind = AttemptKind.First },
                new AttemptRecord(small.Key, "simulator", "small", 200, "answered", 120, 60, 0.00003m, 400)
                {
                    Kind = AttemptKind.Retry,
                    Confidence = 0.21,
                    Gates = [new GateResult("confidence", false, "0.21 below 0.5"), new GateResult("refusal", true, "")],
                },
                new AttemptRecord(medium.Key, "simulator", "medium", 200, "answered", 120, 80, 0.0004m, 500)
                {
                    Kind = AttemptKind.Escalation,
                    Gates = [new GateResult("confidence", true, "0.93")],
                },
            ],
        };

        var trace = Render<PlaygroundTrace>(p => p.Add(t => t.Outcome, outcome));

        Assert.Contains("rule #1 'faq' matched", trace.Find("[data-testid=trace-reason]").TextContent, StringComparison.Ordinal);
        Assert.Contains("medium (decided small)", trace.Find("[data-testid=trace-tier]").TextContent, StringComparison.Ordinal);
        Assert.Equal(medium.Key, trace.Find("[data-testid=trace-model]").TextContent.Trim());
        var attempts = trace.FindAll("[data-testid=trace-attempt]");
        Assert.Equal(["First", "Retry", "Escalation"], attempts.Select(a => a.GetAttribute("data-kind")));
        Assert.Equal(["first", "retry", "escalation"], trace.FindAll("[data-testid=attempt-kind]").Select(c => c.TextContent.Trim()));
        var gates = trace.FindAll("[data-testid=attempt-gate]");
        Assert.Equal(3, gates.Count);
        Assert.Equal("false", gates[0].GetAttribute("data-passed"));
        Assert.Contains("confidence: 0.21 below 0.5", gates[0].TextContent, StringComparison.Ordinal);
        Assert.Equal("true", gates[2].GetAttribute("data-passed"));
        Assert.Contains("first token after 310 ms", trace.Find("[data-testid=trace-latency]").TextContent, StringComparison.Ordinal);
        Assert.Contains("$0.00077", trace.Find("[data-testid=trace-savings]").TextContent, StringComparison.Ordinal);
        Assert.Contains("$0.00003", trace.Find("[data-testid=trace-wasted]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_the_top_tier_could_not_answer_well_says_it_is_flagged_for_review()
    {
        var outcome = new ChatOutcome { RequestId = "req_review", Review = ReviewState.Open, Error = null };

        var trace = Render<PlaygroundTrace>(p => p.Add(t => t.Outcome, outcome));

        Assert.Contains("flagged for human review", trace.Find("[data-testid=trace-review]").TextContent, StringComparison.Ordinal);
        Assert.Contains("No model was called", trace.Markup, StringComparison.Ordinal);
    }

    private sealed class RecordingLedger : ILedger
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
}
