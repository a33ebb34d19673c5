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
}
