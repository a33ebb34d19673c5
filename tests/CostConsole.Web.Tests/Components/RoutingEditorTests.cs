using Bunit;
using CostConsole.Data.Entities;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Components.Pages;
using CostConsole.Web.Components.Routing;
using CostConsole.Web.Playground;
using CostConsole.Web.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

/// <summary>The rules list and the routing page: where a new rule goes, shadowed rules, the tabs and the draft.</summary>
public sealed class RoutingEditorTests : ConsoleTestContext
{
    private static readonly RuleContext Context = new([], ["small", "medium", "large"], ["gpt-4.1-nano", "gpt-4.1"], TimeSpan.FromMilliseconds(25));

    private static readonly RuleDefinition Billing = new() { Name = "billing", Conditions = [new KeywordCondition(KeywordMatch.Any, ["refund", "invoice"])], Action = RuleAction.ToTier("small") };

    private static readonly RuleDefinition Orders = new() { Name = "orders", Conditions = [new KeywordCondition(KeywordMatch.Any, ["order"])], Action = RuleAction.ToTier("small") };

    private readonly List<RuleSetDefinition> _saved = [];

    private void AddRoutingServices()
    {
        Services.AddSingleton(Database.Lab);
        Services.AddSingleton(Database.RuleSets);
        Services.AddSingleton(Database.Routing);
        Services.AddSingleton(Database.Options);
        Services.AddSingleton(new LabelledExamples(Database.Factory, TimeProvider.System));
        Services.AddSingleton(new RouterTrainingService(Database.Routing, O200kTokenCounter.Instance, TimeProvider.System));
        Services.AddSingleton(new TrainedModelService(Database.Factory, TimeProvider.System));
        Services.AddSingleton(new RouterShadowService(Database.Factory, Database.Compiler, TimeProvider.System));
        Services.AddSingleton(new ShadowComparer(Database.Factory, Database.Routing));
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton(new RouterRetraining(Database.Factory, new LedgerTrainingData(Database.Factory, Database.Routing), new RouterTrainingService(Database.Routing, O200kTokenCounter.Instance, TimeProvider.System),
            new TrainedModelService(Database.Factory, TimeProvider.System), Database.RuleSets, Database.Routing, Microsoft.Extensions.Options.Options.Create(new RouterRetrainOptions()), TimeProvider.System));
    }

    /// <summary>The rules panel with its dialogs, saving into <see cref="_saved"/>.</summary>
    private (IRenderedComponent<MudDialogProvider> Dialogs, IRenderedComponent<RulesPanel> Panel) RenderPanel(RuleSetDefinition definition)
    {
        AddRoutingServices();
        var dialogs = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var panel = Render<RulesPanel>(p => p
            .Add(x => x.Definition, definition)
            .Add(x => x.Context, Context)
            .Add(x => x.Save, saved =>
            {
                _saved.Add(saved);
                return Task.FromResult(true);
            }));
        return (dialogs, panel);
    }

    private static async Task FillNewRuleAsync(IRenderedComponent<MudDialogProvider> dialogs, string name, string keywords)
    {
        await dialogs.Find("[data-testid=rule-name]").InputAsync(new() { Value = name });
        await dialogs.Find("[data-testid=condition-0-keywords]").InputAsync(new() { Value = keywords });
    }

    [Fact]
    public async Task A_new_rule_goes_to_the_top_of_the_list_unless_told_otherwise()
    {
        var (dialogs, panel) = RenderPanel(new RuleSetDefinition { DefaultTier = "medium", Rules = [Billing, Orders] });

        // The click's handler waits for the dialog to close, so it is awaited only after saving.
        var adding = panel.Find("[data-testid=add-rule]").ClickAsync(new());
        dialogs.WaitForElement("[data-testid=rule-placement]");
        Assert.Contains("At the top (checked first)", dialogs.Find("[data-testid=rule-placement]").OuterHtml, StringComparison.Ordinal);
        await FillNewRuleAsync(dialogs, "refunds", "refund");
        await dialogs.Find("[data-testid=rule-save]").ClickAsync(new());
        await adding;

        panel.WaitForAssertion(() => Assert.Equal(["refunds", "billing", "orders"], Assert.Single(_saved).Rules.Select(r => r.Name)));
        panel.Render(p => p.Add(x => x.Definition, _saved[0]));
        Assert.Equal("1", panel.Find("[data-testid=rule-refunds] td").TextContent.Trim());
    }

    [Fact]
    public async Task A_new_rule_can_go_after_a_chosen_rule()
    {
        var (dialogs, panel) = RenderPanel(new RuleSetDefinition { DefaultTier = "medium", Rules = [Billing, Orders] });
        // The click's handler waits for the dialog to close, so it is awaited only after saving.
        var adding = panel.Find("[data-testid=add-rule]").ClickAsync(new());
        dialogs.WaitForElement("[data-testid=rule-placement]");

        await dialogs.InvokeAsync(() => dialogs.FindComponent<MudSelect<RulePlacement>>().Instance.SelectOption(RulePlacement.After));
        dialogs.WaitForElement("[data-testid=rule-anchor]");
        await dialogs.InvokeAsync(() => dialogs.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Rule").Instance.SelectOption("billing"));
        await FillNewRuleAsync(dialogs, "refunds", "refund");
        await dialogs.Find("[data-testid=rule-save]").ClickAsync(new());
        await adding;

        panel.WaitForAssertion(() => Assert.Equal(["billing", "refunds", "orders"], Assert.Single(_saved).Rules.Select(r => r.Name)));
    }

    [Fact]
    public async Task Before_or_after_needs_the_rule_to_go_next_to()
    {
        var (dialogs, panel) = RenderPanel(new RuleSetDefinition { DefaultTier = "medium", Rules = [Billing] });
        // The click's handler waits for the dialog to close, so it is awaited only after saving.
        var adding = panel.Find("[data-testid=add-rule]").ClickAsync(new());
        dialogs.WaitForElement("[data-testid=rule-placement]");
        await dialogs.InvokeAsync(() => dialogs.FindComponent<MudSelect<RulePlacement>>().Instance.SelectOption(RulePlacement.Before));
        await FillNewRuleAsync(dialogs, "refunds", "refund");

        await dialogs.Find("[data-testid=rule-save]").ClickAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("Choose the rule to insert next to.", dialogs.Find("[data-testid=rule-errors]").TextContent, StringComparison.Ordinal));
        Assert.False(adding.IsCompleted);
        Assert.Empty(_saved);
    }

    [Fact]
    public async Task A_rule_an_earlier_rule_always_catches_is_flagged_and_Move_above_puts_it_first()
    {
        var policy = new RuleDefinition
        {
            Name = "refund-policy",
            Conditions = [new KeywordCondition(KeywordMatch.Any, ["refund policy"])],
            Action = RuleAction.ToTier("medium"),
            Examples = ["What is your refund policy?", "Is the refund policy different for gift cards?"],
        };
        var (_, panel) = RenderPanel(new RuleSetDefinition { DefaultTier = "medium", Rules = [Billing, Orders, policy] });

        var warning = panel.WaitForElement("[data-testid=shadow-refund-policy]");
        Assert.Contains("Never matches", warning.TextContent, StringComparison.Ordinal);
        Assert.Contains("#1 'billing'", warning.TextContent, StringComparison.Ordinal);
        Assert.Contains("What is your refund policy?", warning.TextContent, StringComparison.Ordinal);

        await panel.Find("[data-testid=move-above-refund-policy]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Equal(["refund-policy", "billing", "orders"], Assert.Single(_saved).Rules.Select(r => r.Name)));
        panel.Render(p => p.Add(x => x.Definition, _saved[0]));
        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("[data-testid^=shadow-]")));
        Assert.NotNull(panel.Find("[data-testid=rule-refund-policy]"));
    }

    [Fact]
    public async Task Dragging_a_shadowed_rule_onto_the_rule_that_catches_it_saves_the_new_order_and_clears_the_warning()
    {
        var policy = new RuleDefinition
        {
            Name = "refund-policy",
            Conditions = [new KeywordCondition(KeywordMatch.Any, ["refund policy"])],
            Action = RuleAction.ToTier("medium"),
            Examples = ["What is your refund policy?"],
        };
        var (_, panel) = RenderPanel(new RuleSetDefinition { DefaultTier = "medium", Rules = [Billing, Orders, policy] });
        panel.WaitForElement("[data-testid=shadow-refund-policy]");

        await panel.Find("[data-testid=rule-refund-policy]").TriggerEventAsync("ondragstart", new Microsoft.AspNetCore.Components.Web.DragEventArgs());
        await panel.Find("[data-testid=rule-billing]").TriggerEventAsync("ondrop", new Microsoft.AspNetCore.Components.Web.DragEventArgs());

        panel.WaitForAssertion(() => Assert.Equal(["refund-policy", "billing", "orders"], Assert.Single(_saved).Rules.Select(r => r.Name)));
        panel.Render(p => p.Add(x => x.Definition, _saved[0]));
        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("[data-testid^=shadow-]")));
        Assert.Equal("1", panel.Find("[data-testid=rule-refund-policy] td").TextContent.Trim());

        // Dropping a row on itself, or dropping without a drag, changes nothing.
        await panel.Find("[data-testid=rule-orders]").TriggerEventAsync("ondragstart", new Microsoft.AspNetCore.Components.Web.DragEventArgs());
        await panel.Find("[data-testid=rule-orders]").TriggerEventAsync("ondrop", new Microsoft.AspNetCore.Components.Web.DragEventArgs());
        await panel.Find("[data-testid=rule-billing]").TriggerEventAsync("ondrop", new Microsoft.AspNetCore.Components.Web.DragEventArgs());
        Assert.Single(_saved);

        // The keyboard way stays: Move down on the first rule.
        await panel.Find("button[aria-label='Move refund-policy down']").ClickAsync(new());
        panel.WaitForAssertion(() => Assert.Equal(["billing", "refund-policy", "orders"], _saved[1].Rules.Select(r => r.Name)));
    }

    [Fact]
    public async Task The_rule_dialog_shows_no_error_before_anything_is_typed_and_marks_what_is_required()
    {
        var dialogs = await OpenDialogAsync(new DialogParameters<RuleDialog>
        {
            { d => d.Form, new RuleForm { Tier = "small", Conditions = [new ConditionForm { Type = ConditionType.Keywords }] } },
            { d => d.Context, Context },
            { d => d.IsNew, true },
        });

        await dialogs.Find("[data-testid=rule-name]").BlurAsync(new());
        await dialogs.Find("[data-testid=condition-0-keywords]").BlurAsync(new());

        Assert.Empty(dialogs.FindAll(".mud-input-error"));
        Assert.DoesNotContain("Give the rule a name", dialogs.Markup, StringComparison.Ordinal);
        Assert.True(dialogs.Find("[data-testid=rule-name]").HasAttribute("required"));
        Assert.True(dialogs.Find("[data-testid=condition-0-keywords]").HasAttribute("required"));
        Assert.False(dialogs.Find("[data-testid=rule-examples]").HasAttribute("required"));

        await dialogs.Find("[data-testid=rule-name]").InputAsync(new() { Value = "faq" });
        await dialogs.Find("[data-testid=rule-name]").InputAsync(new() { Value = "" });
        await dialogs.Find("[data-testid=rule-name]").BlurAsync(new());

        dialogs.WaitForAssertion(() => Assert.Contains("Give the rule a name", dialogs.Find("[data-testid=rule-name]").Closest(".mud-input-control")!.TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_personal_data_condition_is_edited_as_a_list_of_kinds_and_reads_as_a_sentence()
    {
        var form = new RuleForm { Tier = "small", Conditions = [new ConditionForm { Type = ConditionType.PersonalData }] };
        var dialogs = await OpenDialogAsync(new DialogParameters<RuleDialog> { { d => d.Form, form }, { d => d.Context, Context }, { d => d.IsNew, true } });

        Assert.Contains("Empty: any kind. Kinds: email, phone, card, iban, ip", dialogs.Markup, StringComparison.Ordinal);
        Assert.Equal("contains personal data → small", form.Summary);
        await dialogs.Find("[data-testid=condition-0-kinds]").InputAsync(new() { Value = "card, iban" });

        dialogs.WaitForAssertion(() => Assert.Equal("contains personal data (card, iban) → small", form.Summary));
        Assert.Equal(new PersonalDataCondition(["card", "iban"]).Kinds, Assert.IsType<PersonalDataCondition>(Assert.Single(form.ToDefinition().Conditions)).Kinds);
        Assert.Equal(["card", "iban"], ((PersonalDataCondition)ConditionForm.From(new PersonalDataCondition(["card", "iban"])).ToCondition()).Kinds);
    }

    [Fact]
    public void The_routing_page_groups_its_tabs_edit_then_check_then_history()
    {
        AddRoutingServices();
        Render<MudPopoverProvider>();

        var page = Render<RoutingPage>();

        page.WaitForElement("[data-testid=routing-tabs]");
        var tabs = page.FindAll(".mud-tab");
        Assert.Equal(["Rules", "Classifier", "Training", "Models", "Escalation", "Tier mapping", "Test bench", "Labelled check", "Dry-run", "History"], tabs.Select(t => t.TextContent.Trim().Split(" (")[0]));
        Assert.Equal(["Test bench", "History"], tabs.Where(t => t.ClassList.Contains("cc-tab-group")).Select(t => t.TextContent.Trim()));
    }

    [Fact]
    public async Task Opening_the_routing_page_starts_no_draft()
    {
        AddRoutingServices();
        Render<MudPopoverProvider>();

        var page = Render<RoutingPage>();

        page.WaitForAssertion(() => Assert.Contains("No draft: your first change starts one from this version.", page.Find("[data-testid=draft-bar]").TextContent, StringComparison.Ordinal));
        Assert.Equal(0, await Database.QueryAsync(db => db.RuleSets.CountAsync(r => r.Status == RuleSetStatus.Draft)));
        Assert.True(page.Find("[data-testid=discard]").HasAttribute("disabled"));
    }

    [Fact]
    public async Task The_bench_says_what_its_baseline_is_priced_from()
    {
        AddRoutingServices();
        var bench = Render<BenchPanel>(p => p.Add(x => x.Definition, new RuleSetDefinition { DefaultTier = "medium", Rules = [Billing] }));

        await bench.Find("[data-testid=bench-prompt]").InputAsync(new() { Value = "I would like a refund" });
        await bench.Find("[data-testid=bench-run]").ClickAsync(new());

        bench.WaitForAssertion(() => Assert.Equal(
            "A baseline is what the same tokens would cost at gpt-4.1, the model baseline cost is priced at, as the ledger prices every request. Both sides assume the same answer length, so they share one baseline.",
            bench.Find("[data-testid=bench-baseline]").TextContent.Trim()), TimeSpan.FromSeconds(10));
    }
}
