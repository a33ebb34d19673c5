using Bunit;
using CostConsole.Web.Components.Experiments;
using CostConsole.Web.Experiments;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class ExperimentEditorTests : ConsoleTestContext
{
    private static readonly ExperimentChoices Choices = new(
        ["small", "medium", "large"],
        ["sim/nano", "sim/mini", "sim/big"],
        [(1, "support bot", "support")],
        ["support"],
        ["faq-and-status"],
        new Dictionary<string, List<string>> { ["small"] = ["sim/nano"], ["medium"] = ["sim/mini"], ["large"] = ["sim/big"] });

    private static ExperimentForm Form()
    {
        var control = new ArmForm { Name = "control", Weight = 50, Tiers = Choices.DefaultMapping.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.OrdinalIgnoreCase) };
        return new ExperimentForm { Name = "x", Arms = [control, control.Copy("variant", 50)] };
    }

    private IRenderedComponent<ExperimentEditor> Render(ExperimentForm form)
    {
        Render<MudPopoverProvider>();
        return Render<ExperimentEditor>(p => p.Add(e => e.Form, form).Add(e => e.Choices, Choices));
    }

    private static IRenderedComponent<MudNumericField<int>> Weight(IRenderedComponent<ExperimentEditor> cut, int arm) =>
        cut.FindComponents<MudNumericField<int>>().Single(f => f.Instance.UserAttributes.TryGetValue("data-testid", out var id) && (string?)id == $"arm-{arm}-weight");

    [Fact]
    public async Task With_two_arms_changing_one_share_gives_the_other_the_rest()
    {
        var form = Form();
        var cut = Render(form);

        await cut.InvokeAsync(() => Weight(cut, 0).Instance.ValueChanged.InvokeAsync(90));

        Assert.Equal([90, 10], form.Arms.Select(a => a.Weight));
        Assert.Equal("total 100%", cut.Find("[data-testid='split-total']").TextContent.Trim());
    }

    private static IRenderedComponent<MudSelect<string>> Picker(IRenderedComponent<ExperimentEditor> cut, string testId) =>
        cut.FindComponents<MudSelect<string>>().Single(f => f.Instance.UserAttributes.TryGetValue("data-testid", out var id) && (string?)id == testId);

    [Fact]
    public async Task Choosing_another_first_model_replaces_it_instead_of_adding_a_fallback()
    {
        var form = Form();
        var cut = Render(form);

        await cut.InvokeAsync(() => Picker(cut, "arm-1-tier-small").Instance.ValueChanged.InvokeAsync("sim/mini"));

        // "Switch small to mini" is exactly that: mini answers, nothing falls back to nano.
        Assert.Equal(["sim/mini"], form.Arms[1].Tiers["small"]);
        Assert.Equal(["sim/nano"], form.Arms[0].Tiers["small"]);
    }

    [Fact]
    public async Task Fallbacks_are_an_explicit_optional_list_kept_in_the_order_they_were_picked()
    {
        var form = Form();
        var cut = Render(form);

        await cut.InvokeAsync(() => Picker(cut, "arm-1-tier-small-fallbacks").Instance.SelectedValuesChanged.InvokeAsync(["sim/big"]));
        await cut.InvokeAsync(() => Picker(cut, "arm-1-tier-small-fallbacks").Instance.SelectedValuesChanged.InvokeAsync(["sim/big", "sim/mini"]));

        Assert.Equal(["sim/nano", "sim/big", "sim/mini"], form.Arms[1].Tiers["small"]);
        Assert.Contains("fallback order: sim/big › sim/mini", cut.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Arms_that_differ_on_a_tier_only_in_fallbacks_are_warned_about()
    {
        var form = Form();
        var cut = Render(form);
        Assert.Empty(cut.FindAll("[data-testid='arms-share-first-model']"));

        await cut.InvokeAsync(() => Picker(cut, "arm-1-tier-small-fallbacks").Instance.SelectedValuesChanged.InvokeAsync(["sim/mini"]));

        Assert.Contains("Tier small: control and variant are all answered first by sim/nano", cut.Find("[data-testid='arms-share-first-model']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Adding_a_variant_splits_evenly_and_copies_the_control_mapping()
    {
        var form = Form();
        var cut = Render(form);

        cut.Find("[data-testid='add-variant']").Click();

        Assert.Equal([34, 33, 33], form.Arms.Select(a => a.Weight));
        Assert.Equal(["sim/nano"], form.Arms[2].Tiers["small"]);
        Assert.NotNull(cut.Find("[data-testid='arm-2-remove']"));
    }

    [Fact]
    public void The_minimum_sample_size_follows_the_expected_rate_and_the_effect()
    {
        var form = Form();
        form.BaselineResolutionPercent = 80;
        form.MinimumEffectPoints = 10;
        var cut = Render(form);

        Assert.Contains("Needs 294 requests", cut.Find("[data-testid='experiment-sample-size']").TextContent, StringComparison.Ordinal);

        form.MinimumEffectPoints = 90;
        cut.Render();
        Assert.Contains("keeps it above 0%", cut.Find("[data-testid='experiment-sample-size']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_validator_names_every_problem_of_a_bad_experiment()
    {
        var form = Form();
        form.Name = "";
        form.Arms[0].Weight = 70;
        form.Arms[1].Tiers["small"] = [];

        var result = await new ExperimentFormValidator(new ExperimentContext(Choices.Tiers, Choices.Models, ["taken"])).ValidateAsync(form, Xunit.TestContext.Current.CancellationToken);

        Assert.Contains(result.Errors, e => e.ErrorMessage == "Give the experiment a name, e.g. small tier on nano vs mini.");
        Assert.Contains(result.Errors, e => e.ErrorMessage == "The traffic split must add up to 100%; it adds up to 120%.");
        Assert.Contains(result.Errors, e => e.ErrorMessage == "Choose at least one model for tier small.");
    }

    [Fact]
    public async Task Two_variants_that_route_alike_are_refused()
    {
        var form = Form();
        form.Arms[1].Tiers["small"] = ["sim/mini"];
        form.Arms.Add(form.Arms[1].Copy("mini again", 0));
        form.Arms[0].Weight = 34;
        form.Arms[1].Weight = 33;
        form.Arms[2].Weight = 33;

        var result = await new ExperimentFormValidator(new ExperimentContext(Choices.Tiers, Choices.Models, [])).ValidateAsync(form, Xunit.TestContext.Current.CancellationToken);

        Assert.Equal("Arms 'variant' and 'mini again' route exactly alike; give each variant its own models.", Assert.Single(result.Errors).ErrorMessage);
    }
}
