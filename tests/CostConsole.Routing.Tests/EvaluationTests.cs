using CostConsole.Routing.Evaluation;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Tests;

public sealed class LabelledSetReaderTests
{
    private static readonly string[] Tiers = ["small", "medium", "large"];

    [Fact]
    public void Csv_with_a_header_quoted_commas_and_escaped_quotes_is_read()
    {
        var prompts = LabelledSetReader.Parse("prompt,tier\r\n\"Refund, please\",SMALL\r\n\"She said \"\"hi\"\"\",medium\r\n", Tiers);

        Assert.Equal([("Refund, please", "small", 2), ("She said \"hi\"", "medium", 3)], prompts.Select(p => (p.Prompt, p.ExpectedTier, p.Line)));
    }

    [Fact]
    public void Blank_lines_and_prompts_over_several_lines_keep_the_line_numbers_of_the_file()
    {
        var ex = Assert.Throws<LabelledSetException>(() => LabelledSetReader.Parse("prompt,tier\n\n\"two\nlines\",small\nhello,huge\n", Tiers));

        Assert.StartsWith("Line 5:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_lines_are_read()
    {
        var prompts = LabelledSetReader.Parse("{\"prompt\":\"a\",\"tier\":\"large\"}\n\n{\"prompt\":\"b\",\"expected_tier\":\"small\"}", Tiers);

        Assert.Equal(["large", "small"], prompts.Select(p => p.ExpectedTier));
    }

    [Theory]
    [InlineData("prompt,tier\nhello,huge", "Line 2: 'huge' is not a tier")]
    [InlineData("hello,small,extra", "Line 1: expected two fields")]
    [InlineData("{\"prompt\":\"a\",\"tier\":\"small\"}\n{oops", "Line 2 is not valid JSON")]
    [InlineData("{\"prompt\":\"a\"}", "Line 1: expected an object with string fields")]
    [InlineData("\"never closed,small", "a quoted prompt is never closed")]
    [InlineData("prompt,tier\nsay \"hi\" now,small", "Line 2: a quote inside an unquoted prompt")]
    [InlineData("   \n  ", "The labelled set is empty")]
    [InlineData("prompt,tier\n", "has a header but no prompts")]
    public void A_malformed_set_is_refused_with_the_line_and_the_reason(string text, string message)
    {
        var ex = Assert.Throws<LabelledSetException>(() => LabelledSetReader.Parse(text, Tiers));

        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}

public sealed class RuleSetDiffTests
{
    private static RuleDefinition Rule(string name, string tier, string keyword) =>
        new() { Name = name, Conditions = [new KeywordCondition(KeywordMatch.Any, [keyword])], Action = RuleAction.ToTier(tier) };

    [Fact]
    public void The_diff_names_added_removed_changed_and_moved_rules_and_the_default_tier()
    {
        var before = new RuleSetDefinition { DefaultTier = "medium", Rules = [Rule("a", "small", "faq"), Rule("b", "large", "analyze"), Rule("c", "small", "status")] };
        var after = new RuleSetDefinition { DefaultTier = "small", Rules = [Rule("b", "large", "analyze"), Rule("a", "medium", "faq"), Rule("d", "small", "refund")] };

        var diff = RuleSetDiff.Compare(before, after);

        Assert.Contains(diff, d => d is { Kind: DiffKind.Added, Subject: "rule 'd' at #3", After: "contains any of refund → small" });
        Assert.Contains(diff, d => d is { Kind: DiffKind.Removed, Subject: "rule 'c'" });
        Assert.Contains(diff, d => d is { Kind: DiffKind.Changed, Subject: "rule 'a'", Before: "contains any of faq → small", After: "contains any of faq → medium" });
        Assert.Contains(diff, d => d is { Kind: DiffKind.Moved, Subject: "rule 'b'", Before: "#2", After: "#1" });
        Assert.Contains(diff, d => d is { Kind: DiffKind.Changed, Subject: "default tier", Before: "medium", After: "small" });
    }

    [Fact]
    public void A_new_trained_model_or_quality_target_is_named_in_the_diff()
    {
        static RuleSetDefinition Trained(string model, double target) => new()
        {
            DefaultTier = "medium",
            Classifier = new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = model, QualityTarget = target } },
        };

        var diff = RuleSetDiff.Compare(Trained("shipped-support@1", 0.9), Trained("parcels@3", 0.85));

        Assert.Contains(diff, d => d is { Kind: DiffKind.Changed, Subject: "classifier", Before: "Trained shipped-support@1, quality target 0.90", After: "Trained parcels@3, quality target 0.85" });
    }

    [Fact]
    public void A_tier_mapping_brought_by_the_draft_is_compared_tier_by_tier_with_the_default_one()
    {
        var defaults = new Dictionary<string, IReadOnlyList<string>> { ["small"] = ["sim/nano"], ["large"] = ["sim/big"] };
        var live = new RuleSetDefinition { DefaultTier = "medium" };
        var draft = live with { TierMapping = new Dictionary<string, IReadOnlyList<string>> { ["small"] = ["sim/mini", "sim/nano"], ["large"] = ["sim/big"] } };

        var diff = RuleSetDiff.Compare(live, draft, defaults);

        var line = Assert.Single(diff);
        Assert.Equal(new DiffLine(DiffKind.Changed, "models of tier 'small'", "sim/nano", "sim/mini › sim/nano"), line);
        Assert.Empty(RuleSetDiff.Compare(live, live with { TierMapping = defaults }, defaults));

        // Without the default mapping at hand, the diff still says the draft brings its own.
        Assert.Equal("the default tier mapping", Assert.Single(RuleSetDiff.Compare(live, draft)).Before);
    }

    [Fact]
    public void Identical_rule_sets_have_no_differences()
    {
        var set = new RuleSetDefinition { DefaultTier = "medium", Rules = [Rule("a", "small", "faq")] };

        Assert.Empty(RuleSetDiff.Compare(set, set with { Rules = [Rule("a", "small", "faq")] }));
    }
}

public sealed class LabelledCheckResultTests
{
    [Fact]
    public void Precision_and_recall_come_from_the_confusion_matrix()
    {
        var result = new LabelledCheckResult(["small", "large"], [("small", "small"), ("small", "large"), ("large", "large"), ("large", "large")]);

        Assert.Equal(0.75, result.Accuracy);
        Assert.Equal(1.0, result.Precision(0));
        Assert.Equal(0.5, result.Recall(0));
        Assert.Equal(2.0 / 3, result.Precision(1)!.Value, 6);
        Assert.Equal(1.0, result.Recall(1));
    }

    [Fact]
    public void A_tier_nobody_expected_or_chose_has_no_precision_or_recall()
    {
        var result = new LabelledCheckResult(["small", "medium"], [("small", "small")]);

        Assert.Null(result.Precision(1));
        Assert.Null(result.Recall(1));
    }
}
