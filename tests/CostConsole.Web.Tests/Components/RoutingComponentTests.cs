using Bunit;
using CostConsole.Routing.Rules;
using CostConsole.Web.Components.Routing;
using CostConsole.Web.Routing;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class RoutingComponentTests : ConsoleTestContext
{
    private static readonly RuleContext Context = new(["faq"], ["small", "medium", "large"], ["gpt-4.1-nano", "gpt-4.1"], TimeSpan.FromMilliseconds(25));

    private Task<IRenderedComponent<MudDialogProvider>> OpenRuleDialogAsync(RuleForm form) =>
        OpenDialogAsync(new DialogParameters<RuleDialog> { { d => d.Form, form }, { d => d.Context, Context }, { d => d.IsNew, true } });

    [Fact]
    public async Task The_conditions_builder_reads_back_as_a_one_line_summary()
    {
        var form = new RuleForm { Name = "billing", Tier = "small", Conditions = [new ConditionForm { Type = ConditionType.Keywords, Keywords = "refund, invoice" }] };
        var dialog = await OpenRuleDialogAsync(form);

        await dialog.Find("[data-testid=condition-0-keywords]").InputAsync(new() { Value = "refund, invoice, credit note" });

        dialog.WaitForAssertion(() => Assert.Equal("contains any of refund, invoice, credit note → small", dialog.Find("[data-testid=rule-summary]").TextContent.Trim()));
    }

    [Fact]
    public async Task A_regex_that_does_not_compile_is_refused_with_the_reason()
    {
        var form = new RuleForm { Name = "orders", Tier = "small", Conditions = [new ConditionForm { Type = ConditionType.Regex, Pattern = "order (#" }] };
        var dialog = await OpenRuleDialogAsync(form);

        await dialog.Find("[data-testid=rule-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.Contains("The pattern does not compile", dialog.Find("[data-testid=rule-errors]").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_empty_rule_and_a_duplicate_name_are_refused()
    {
        var dialog = await OpenRuleDialogAsync(new RuleForm { Name = "FAQ", Tier = "small" });

        await dialog.Find("[data-testid=rule-save]").ClickAsync(new());

        dialog.WaitForAssertion(() =>
        {
            var errors = dialog.Find("[data-testid=rule-errors]").TextContent;
            Assert.Contains("Another rule already has this name.", errors, StringComparison.Ordinal);
            Assert.Contains("Add at least one condition", errors, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task An_inverted_token_range_is_refused()
    {
        var form = new RuleForm { Name = "long", Tier = "large", Conditions = [new ConditionForm { Type = ConditionType.Tokens, Min = 500, Max = 100 }] };
        var dialog = await OpenRuleDialogAsync(form);

        await dialog.Find("[data-testid=rule-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.Contains("The maximum must be at least the minimum.", dialog.Markup, StringComparison.Ordinal));
    }

    [Fact]
    public void The_version_diff_shows_each_change_with_before_and_after()
    {
        var before = new RuleSetDefinition { DefaultTier = "medium", Rules = [new RuleDefinition { Name = "faq", Conditions = [new KeywordCondition(KeywordMatch.Any, ["faq"])], Action = RuleAction.ToTier("small") }] };
        var after = before with { Rules = [before.Rules[0] with { Action = RuleAction.ToTier("medium") }], DefaultTier = "large" };

        var diff = Render<DiffView>(p => p.Add(d => d.Before, before).Add(d => d.After, after));

        var rows = diff.FindAll("[data-testid=diff] tr");
        Assert.Equal(2, rows.Count);
        Assert.Contains("− contains any of faq → small", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("+ contains any of faq → medium", rows[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("default tier", rows[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_version_diff_lists_escalation_changes_per_tier()
    {
        var before = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Escalation = new CostConsole.Routing.Escalation.EscalationPolicy { Tiers = [new CostConsole.Routing.Escalation.TierGates { Tier = "small", MinConfidence = 0.5 }] },
        };
        var after = before with
        {
            Escalation = new CostConsole.Routing.Escalation.EscalationPolicy
            {
                MaxEscalations = 2,
                Tiers = [new CostConsole.Routing.Escalation.TierGates { Tier = "large", MustMatch = ["^CASE-"] }],
            },
        };

        var diff = Render<DiffView>(p => p.Add(d => d.Before, before).Add(d => d.After, after));

        var text = diff.Find("[data-testid=diff]").TextContent;
        Assert.Contains("escalations allowed per request", text, StringComparison.Ordinal);
        Assert.Contains("quality gates of tier 'large'", text, StringComparison.Ordinal);
        Assert.Contains("must match /^CASE-/", text, StringComparison.Ordinal);
        Assert.Contains("quality gates of tier 'small'", text, StringComparison.Ordinal);
        Assert.Contains("confidence ≥ 0.5", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Identical_versions_say_they_route_the_same()
    {
        var set = new RuleSetDefinition { DefaultTier = "medium" };

        var diff = Render<DiffView>(p => p.Add(d => d.Before, set).Add(d => d.After, set));

        Assert.Contains("route identically", diff.Find("[data-testid=diff-empty]").TextContent, StringComparison.Ordinal);
    }
}
