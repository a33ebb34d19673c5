using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

public sealed class RuleShadowingTests
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(50);

    private static RuleDefinition Keywords(string name, KeywordMatch match, params string[] keywords) => new()
    {
        Name = name,
        Conditions = [new KeywordCondition(match, keywords)],
        Action = RuleAction.ToTier("small"),
    };

    private static RoutingInput Prompt(string text, bool tools = false) =>
        new(text, 1, tools, new Dictionary<string, string>(), [], O200kTokenCounter.Instance.CountTokens(text) + 6);

    private static IReadOnlyList<RuleShadow> Check(RuleSetDefinition set, params RoutingInput[] traffic) =>
        RuleShadowing.Check(set, traffic, O200kTokenCounter.Instance, RegexTimeout);

    [Fact]
    public void A_rule_whose_every_example_an_earlier_rule_catches_never_matches_and_names_that_rule()
    {
        var set = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Rules =
            [
                Keywords("billing", KeywordMatch.Any, "refund", "invoice"),
                Keywords("refund-policy", KeywordMatch.Any, "refund policy") with { Examples = ["What is your refund policy?", "Explain the refund policy for gift cards"] },
            ],
        };

        var shadow = Assert.Single(Check(set));

        Assert.Equal(("refund-policy", 2, 2, 2), (shadow.Rule, shadow.Position, shadow.Catches, shadow.CaughtEarlier));
        Assert.True(shadow.NeverMatches);
        var by = Assert.Single(shadow.By);
        Assert.Equal(("billing", 1, 2, "What is your refund policy?"), (by.Name, by.Position, by.Prompts, by.Example));
    }

    [Fact]
    public void A_rule_that_still_catches_some_prompts_is_reported_as_partly_shadowed()
    {
        var set = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Rules = [Keywords("refund-policy", KeywordMatch.Any, "refund policy"), Keywords("refunds", KeywordMatch.Any, "refund")],
        };

        var shadow = Assert.Single(Check(set, Prompt("Where is your refund policy?"), Prompt("I want a refund now"), Prompt("Hello there")));

        Assert.Equal(("refunds", 2, 1), (shadow.Rule, shadow.Catches, shadow.CaughtEarlier));
        Assert.False(shadow.NeverMatches);
        Assert.Equal("refund-policy", Assert.Single(shadow.By).Name);
    }

    [Fact]
    public void Recent_traffic_the_rule_would_catch_counts_as_well_as_its_examples()
    {
        var set = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Rules =
            [
                new RuleDefinition { Name = "agents", Conditions = [new ToolsCondition(true)], Action = RuleAction.ToTier("large") },
                Keywords("orders", KeywordMatch.Any, "order") with { Examples = ["Where is my order?"] },
            ],
        };

        var shadow = Assert.Single(Check(set, Prompt("Cancel my order", tools: true), Prompt("Track order 12", tools: true)));

        Assert.Equal((3, 2), (shadow.Catches, shadow.CaughtEarlier));
        Assert.False(shadow.NeverMatches);
        Assert.Equal(("agents", 2, "Cancel my order"), (shadow.By[0].Name, shadow.By[0].Prompts, shadow.By[0].Example));
    }

    [Fact]
    public void Disabled_rules_neither_shadow_nor_are_checked_and_rules_in_their_own_order_are_not_reported()
    {
        var set = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Rules =
            [
                Keywords("everything-refund", KeywordMatch.Any, "refund") with { Enabled = false },
                Keywords("refund-policy", KeywordMatch.Any, "refund policy") with { Examples = ["What is your refund policy?"] },
                Keywords("refunds", KeywordMatch.Any, "refund") with { Examples = ["I want a refund"] },
                Keywords("refunds-again", KeywordMatch.Any, "refund") with { Enabled = false },
            ],
        };

        Assert.Empty(Check(set, Prompt("I want a refund")));
    }

    [Fact]
    public void The_earlier_rule_that_catches_most_prompts_is_named_first()
    {
        var set = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Rules =
            [
                Keywords("invoices", KeywordMatch.Any, "invoice"),
                Keywords("refunds", KeywordMatch.Any, "refund"),
                new RuleDefinition { Name = "money", Conditions = [new RegexCondition(@"\b(refund|invoice|charge)\b")], Action = RuleAction.ToTier("medium") },
            ],
        };

        var shadow = Assert.Single(Check(set, Prompt("refund please"), Prompt("a refund for my invoice"), Prompt("another refund"), Prompt("refund copy"), Prompt("why this charge")), s => s.Rule == "money");

        Assert.Equal((5, 4), (shadow.Catches, shadow.CaughtEarlier));
        Assert.Equal([("refunds", 3), ("invoices", 1)], shadow.By.Select(b => (b.Name, b.Prompts)));
    }
}
