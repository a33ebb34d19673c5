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
    public void A_regex_that_times_out_on_a_request_counts_as_no_match_and_says_so()
    {
        // Passes the compile-time probes (no 'x' in them) but backtracks catastrophically on a run of x's.
        var snapshot = Snapshot(Rule("hostile", "small", new RegexCondition("(x+x+)+y")));

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
