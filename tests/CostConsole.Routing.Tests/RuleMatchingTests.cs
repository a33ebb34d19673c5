using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class RuleMatchingTests
{
    private static readonly KeywordCondition RefundOrInvoice = new(KeywordMatch.Any, ["refund", "invoice"]);

    [Fact]
    public void Any_keyword_matches_whole_words_case_insensitively()
    {
        var snapshot = Snapshot(Rule("billing", "small", RefundOrInvoice));

        Assert.Equal("small", Decide(snapshot, Request("Can I get a REFUND please?")).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("What about refunds and invoices?")).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("Prefund the account")).Tier);
    }

    [Fact]
    public void All_keywords_must_appear()
    {
        var snapshot = Snapshot(Rule("both", "small", new KeywordCondition(KeywordMatch.All, ["refund", "invoice"])));

        Assert.Equal("small", Decide(snapshot, Request("refund for invoice 12")).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("refund for order 12")).Tier);
    }

    [Fact]
    public void A_phrase_matches_only_its_words_in_order()
    {
        var snapshot = Snapshot(Rule("status", "small", new KeywordCondition(KeywordMatch.Any, ["order status"])));

        Assert.Equal("small", Decide(snapshot, Request("What's my Order-Status?")).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("status of my order")).Tier);
    }

    [Fact]
    public void Keywords_read_the_last_user_message_not_the_system_prompt()
    {
        var snapshot = Snapshot(Rule("billing", "small", RefundOrInvoice));

        Assert.Equal("medium", Decide(snapshot, Request("Hello there", system: "You handle refund questions.")).Tier);
    }

    [Fact]
    public void Regex_matches_case_insensitively()
    {
        var snapshot = Snapshot(Rule("order-number", "small", new RegexCondition(@"\border\s+#?\d{4,}\b")));

        Assert.Equal("small", Decide(snapshot, Request("Where is ORDER #12345?")).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("Where is my order?")).Tier);
    }

    [Fact]
    public void A_pattern_that_would_backtrack_catastrophically_runs_in_linear_time_and_cannot_hang_a_request()
    {
        var snapshot = Snapshot(Rule("hostile", "small", new RegexCondition("(x+x+)+y")));
        var started = System.Diagnostics.Stopwatch.GetTimestamp();

        var decision = Decide(snapshot, Request(new string('x', 5_000)));

        Assert.Equal("medium", decision.Tier);
        Assert.Empty(decision.Notes);
        Assert.True(System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void A_backtracking_regex_that_times_out_on_a_request_counts_as_no_match_and_says_so()
    {
        // The lookahead needs the backtracking engine; the probes have no 'x', but a run of x's backtracks catastrophically.
        var snapshot = Snapshot(Rule("hostile", "small", new RegexCondition("(x+x+)+(?=y)")));

        var decision = Decide(snapshot, Request(new string('x', 40)));

        Assert.Equal("medium", decision.Tier);
        Assert.Contains(decision.Notes, n => n.Contains("timed out", StringComparison.Ordinal));
    }

    [Fact]
    public void Token_length_range_uses_the_whole_prompt()
    {
        var snapshot = Snapshot(Rule("long", "large", new TokenLengthCondition(500, null)), Rule("short", "small", new TokenLengthCondition(null, 50)));

        Assert.Equal("small", Decide(snapshot, Request("short question")).Tier);
        Assert.Equal("large", Decide(snapshot, Request("hi", system: string.Join(' ', Enumerable.Repeat("policy clause", 400)))).Tier);
        Assert.Equal("medium", Decide(snapshot, Request(string.Join(' ', Enumerable.Repeat("word", 120)))).Tier);
    }

    [Fact]
    public void Metadata_conditions_read_the_metadata_field_the_user_field_and_the_tags_header()
    {
        var snapshot = Snapshot(
            Rule("vip", "large", new MetadataCondition("tags", ["vip"])),
            Rule("channel", "small", new MetadataCondition("channel", ["chat", "sms"])),
            Rule("bot-user", "small", new MetadataCondition("user", ["faq-bot"])),
            Rule("region", "large", new MetadataCondition("region", [])));

        Assert.Equal("large", Decide(snapshot, Request("hello", tags: "beta, VIP")).Tier);
        Assert.Equal("small", Decide(snapshot, Request("hello", extraJson: """ "metadata":{"channel":"SMS"} """)).Tier);
        Assert.Equal("small", Decide(snapshot, Request("hello", extraJson: """ "user":"faq-bot" """)).Tier);
        Assert.Equal("large", Decide(snapshot, Request("hello", tags: "region=eu")).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("hello", extraJson: """ "metadata":{"channel":"email"} """)).Tier);
    }

    [Fact]
    public void Tools_condition_tells_requests_with_tools_apart()
    {
        var snapshot = Snapshot(Rule("tools", "large", new ToolsCondition(true)));
        const string tools = """ "tools":[{"type":"function","function":{"name":"lookup_order","parameters":{"type":"object"}}}] """;

        Assert.Equal("large", Decide(snapshot, Request("look it up", extraJson: tools)).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("look it up")).Tier);
    }

    [Fact]
    public void Turns_condition_counts_user_turns()
    {
        var snapshot = Snapshot(Rule("long-conversation", "large", new TurnsCondition(3, null)));
        const string threeTurns = """
            {"model":"auto","messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"},{"role":"assistant","content":"d"},{"role":"user","content":"e"}]}
            """;

        Assert.Equal("large", Decide(snapshot, Raw(threeTurns)).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("one turn")).Tier);
    }

    [Fact]
    public void The_first_matching_rule_wins_and_disabled_rules_are_skipped()
    {
        var snapshot = Snapshot(
            Rule("disabled", "large", RefundOrInvoice) with { Enabled = false },
            Rule("first", "small", RefundOrInvoice),
            Rule("second", "large", RefundOrInvoice));

        var decision = Decide(snapshot, Request("refund"));

        Assert.Equal("first", decision.Rule);
        Assert.Equal(2, decision.RulePosition);
        Assert.Equal("small", decision.Tier);
    }

    [Fact]
    public void All_conditions_of_a_rule_must_hold()
    {
        var snapshot = Snapshot(Rule("short-billing", "small", RefundOrInvoice, new TokenLengthCondition(null, 30)));

        Assert.Equal("small", Decide(snapshot, Request("refund please")).Tier);
        Assert.Equal("medium", Decide(snapshot, Request("refund " + string.Join(' ', Enumerable.Repeat("detail", 60)))).Tier);
    }

    [Fact]
    public void A_rule_can_pin_a_model()
    {
        var snapshot = Snapshot(new RuleDefinition { Name = "pin", Conditions = [RefundOrInvoice], Action = RuleAction.ToModel("big-backup") });

        var decision = Decide(snapshot, Request("refund"));

        Assert.Equal("backup/big-backup", decision.Model.Key);
        Assert.Single(decision.Candidates);
    }
}

public sealed class TokenBoundTests
{
    [Fact]
    public void A_token_range_the_byte_ceiling_rules_out_is_decided_without_counting()
    {
        var snapshot = TestRouting.Snapshot(TestRouting.Rule("huge", "large", new TokenLengthCondition(8_000, null)));
        using var request = TestRouting.Request(new string('a', 2_000));

        var decision = Decide(snapshot, request);

        Assert.Equal("medium", decision.Tier);
        Assert.False(request.PromptTokensKnown);
    }

    [Fact]
    public void A_ceiling_under_the_maximum_decides_an_at_most_rule_without_counting()
    {
        var snapshot = TestRouting.Snapshot(TestRouting.Rule("short", "small", new TokenLengthCondition(null, 400)));
        using var request = TestRouting.Request("Where is my order?");

        Assert.Equal("small", Decide(snapshot, request).Tier);
        Assert.False(request.PromptTokensKnown);
    }

    [Theory]
    [InlineData(300L, null, true)]
    [InlineData(null, 300L, false)]
    [InlineData(200L, 600L, false)]
    [InlineData(800L, 1_200L, true)]
    public void When_the_bounds_cannot_decide_the_exact_count_does(long? min, long? max, bool expected)
    {
        // " order" is one o200k token: 1,006 tokens with the message overhead, against a ceiling of ~6,000 bytes.
        var text = string.Join(' ', Enumerable.Repeat("order", 1_000));
        var snapshot = TestRouting.Snapshot(TestRouting.Rule("range", "large", new TokenLengthCondition(min, max)));
        using var request = TestRouting.Request(text);

        var decision = Decide(snapshot, request);

        Assert.Equal(expected, decision.Tier == "large");
        Assert.True(request.PromptTokensKnown);
    }
}
