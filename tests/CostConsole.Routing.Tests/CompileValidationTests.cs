using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class CompileValidationTests
{
    private static RoutingConfigException Refused(params RuleDefinition[] rules) =>
        Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(Config(rules)));

    [Fact]
    public void A_regex_that_does_not_compile_is_refused_with_the_reason()
    {
        var ex = Refused(Rule("broken", "small", new RegexCondition("(unclosed")));

        Assert.Contains(ex.Errors, e => e.Contains("'broken'", StringComparison.Ordinal) && e.Contains("does not compile", StringComparison.Ordinal));
    }

    [Fact]
    public void A_catastrophically_backtracking_regex_is_refused_before_it_reaches_traffic()
    {
        // The lookahead keeps it on the backtracking engine, where the probe shows the blow-up.
        var ex = Refused(Rule("hostile", "small", new RegexCondition("^(a+)+(?=b)")));

        Assert.Contains(ex.Errors, e => e.Contains("catastrophic backtracking", StringComparison.Ordinal));
    }

    [Fact]
    public void A_pattern_the_linear_engine_runs_is_accepted_even_if_it_would_backtrack()
    {
        Assert.Null(SnapshotCompiler.CheckRegex("(a+)+$", TimeSpan.FromMilliseconds(25)));
    }

    [Fact]
    public void Unknown_tiers_and_models_and_duplicate_names_are_each_reported()
    {
        var ex = Refused(
            Rule("a", "huge", new ToolsCondition(true)),
            new RuleDefinition { Name = "b", Action = RuleAction.ToModel("gpt-17") },
            Rule("a", "small", new ToolsCondition(true)));

        Assert.Contains(ex.Errors, e => e.Contains("'huge'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("'gpt-17'", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("same name", StringComparison.Ordinal));
    }

    [Fact]
    public void Empty_keywords_and_inverted_ranges_are_refused()
    {
        var ex = Refused(
            Rule("empty", "small", new KeywordCondition(KeywordMatch.Any, ["  ", "!!"])),
            Rule("inverted", "small", new TokenLengthCondition(100, 10)));

        Assert.Equal(2, ex.Errors.Count);
    }

    [Fact]
    public void A_default_tier_that_does_not_exist_is_refused()
    {
        var ex = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(Config([], defaultTier: "enormous")));

        Assert.Contains(ex.Errors, e => e.Contains("'enormous'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_negative_price_is_refused()
    {
        var config = Config([]);
        config = config with { Prices = [.. config.Prices, new Catalogue.ModelPrice("sim/nano", PriceStart.AddDays(2), -1m, null, 1m)] };

        var ex = Assert.Throws<RoutingConfigException>(() => SnapshotCompiler.Compile(config));

        Assert.Contains(ex.Errors, e => e.Contains("negative", StringComparison.Ordinal));
    }

    [Fact]
    public void Rule_summaries_read_as_a_sentence()
    {
        var rule = Rule("r", "small", new KeywordCondition(KeywordMatch.Any, ["refund", "invoice"]), new TokenLengthCondition(null, 400), new MetadataCondition("channel", ["chat", "sms"]));

        Assert.Equal("contains any of refund, invoice and prompt ≤ 400 tokens and channel in [chat, sms] → small", RuleText.Summarize(rule));
    }
}
