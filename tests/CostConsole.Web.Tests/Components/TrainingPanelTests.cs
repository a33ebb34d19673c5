using System.Globalization;
using System.Text.RegularExpressions;
using Bunit;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Components.Routing;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Routing;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class TrainingPanelTests : ConsoleTestContext
{
    private static readonly TimeSpan TrainingTime = TimeSpan.FromSeconds(90);

    private RuleSetDefinition? _saved;

    private TrainedModelService Models => Services.GetRequiredService<TrainedModelService>();

    private async Task<IRenderedComponent<TrainingPanel>> RenderPanelAsync()
    {
        Services.AddSingleton(new RouterTrainingService(Database.Routing, O200kTokenCounter.Instance, TimeProvider.System));
        Services.AddSingleton(new TrainedModelService(Database.Factory, TimeProvider.System));
        var definition = (await Database.RuleSets.PublishedAsync(Xunit.TestContext.Current.CancellationToken)).Definition;
        Render<MudPopoverProvider>();
        return Render<TrainingPanel>(p => p
            .Add(x => x.Definition, definition)
            .Add(x => x.Tiers, ["small", "medium", "large"])
            .Add(x => x.Save, d =>
            {
                _saved = d;
                return Task.FromResult(true);
            }));
    }

    private static void Upload(IRenderedComponent<TrainingPanel> panel, string text, string name) =>
        panel.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromText(text, name));

    private static async Task TrainAsync(IRenderedComponent<TrainingPanel> panel, string name = "parcels", bool noisy = false)
    {
        Upload(panel, TrainingExamples.Csv(noisy: noisy), "parcels.csv");
        panel.WaitForElement("[data-testid=training-file-summary]");
        await panel.Find("[data-testid=training-name]").ChangeAsync(new() { Value = name });
        await panel.Find("[data-testid=training-run]").ClickAsync(new());
        panel.WaitForElement("[data-testid=training-result]", TrainingTime);
    }

    /// <summary>The share the projection sends to <paramref name="tier"/>, in per cent.</summary>
    private static double ProjectedShare(IRenderedComponent<TrainingPanel> panel, string tier) =>
        double.Parse(Regex.Match(panel.Find("[data-testid=projected-shares]").TextContent, tier + @" ([0-9.]+) %").Groups[1].Value, CultureInfo.InvariantCulture);

    [Fact]
    public async Task Before_any_file_the_panel_says_what_to_upload_and_there_is_nothing_to_train()
    {
        var panel = await RenderPanelAsync();

        Assert.Contains("No labelled file yet", panel.Find("[data-testid=training-empty]").TextContent, StringComparison.Ordinal);
        Assert.True(panel.Find("[data-testid=training-run]").HasAttribute("disabled"));
        Assert.Empty(panel.FindAll("[data-testid=training-result]"));
    }

    [Fact]
    public async Task A_malformed_file_shows_the_line_and_the_reason_and_nothing_is_trained_or_stored()
    {
        var panel = await RenderPanelAsync();

        Upload(panel, "prompt,tier\nIs my parcel on its way?,small\nPlan the migration,enormous\n", "broken.csv");

        panel.WaitForAssertion(() => Assert.Contains("Line 3: tier 'enormous' does not exist", panel.Find("[data-testid=training-error]").TextContent, StringComparison.Ordinal));
        Assert.True(panel.Find("[data-testid=training-run]").HasAttribute("disabled"));
        Assert.Empty(await Models.ListAsync(Xunit.TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Training_shows_the_held_out_metrics_beside_the_published_router_and_the_curve()
    {
        var panel = await RenderPanelAsync();

        await TrainAsync(panel);

        var auroc = panel.Find("[data-testid='metric-auroc-small|medium']").QuerySelectorAll("td");
        Assert.True(double.Parse(auroc[0].TextContent, CultureInfo.InvariantCulture) > 0.9);
        Assert.Matches(@"^[01]\.\d{3}$", auroc[1].TextContent);
        var apgr = panel.Find("[data-testid=metric-apgr]").QuerySelectorAll("td");
        Assert.Matches(@"^[01]\.\d{3}$", apgr[0].TextContent);
        Assert.Matches(@"^[01]\.\d{3}$", apgr[1].TextContent);
        Assert.Contains("shipped-support@1", panel.Find("[data-testid=training-result]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(panel.Find("[data-testid=chart-router-curve]"));
        Assert.Empty(await Models.ListAsync(Xunit.TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Moving_the_operating_point_changes_the_projected_tier_shares_and_quality()
    {
        var panel = await RenderPanelAsync();
        await TrainAsync(panel, noisy: true);

        await panel.Find("[data-testid=training-target]").InputAsync(new() { Value = "0" });
        Assert.Equal("0.05", panel.Find("[data-testid=projected-target]").TextContent);
        var lowLarge = ProjectedShare(panel, "large");
        var lowQuality = panel.Find("[data-testid=projected-quality]").TextContent;

        await panel.Find("[data-testid=training-target]").InputAsync(new() { Value = (CostConsole.Training.RouterEvaluator.Targets.Count - 1).ToString(CultureInfo.InvariantCulture) });

        Assert.Equal("0.99", panel.Find("[data-testid=projected-target]").TextContent);
        Assert.True(ProjectedShare(panel, "large") > lowLarge);
        Assert.NotEqual(lowQuality, panel.Find("[data-testid=projected-quality]").TextContent);

        await panel.Find("input[data-testid=training-choice-share]").ClickAsync(new());
        await panel.Find("[data-testid=training-max-top]").InputAsync(new() { Value = "55" });

        // Half the prompts are migration plans that only large answers well; at most 55 % keeps the parcel questions off it.
        panel.WaitForAssertion(() => Assert.InRange(ProjectedShare(panel, "large"), 50, 55));
        Assert.NotEqual("0.05", panel.Find("[data-testid=projected-target]").TextContent);
    }

    [Fact]
    public async Task Save_into_draft_stores_the_model_as_a_new_version_and_sets_the_drafts_classifier_at_the_chosen_target()
    {
        var panel = await RenderPanelAsync();
        await TrainAsync(panel);
        var index = CostConsole.Training.RouterEvaluator.Targets.ToList().IndexOf(0.8);
        await panel.Find("[data-testid=training-target]").InputAsync(new() { Value = index.ToString(CultureInfo.InvariantCulture) });

        await panel.Find("[data-testid=training-save]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Contains("Stored as parcels@1", panel.Find("[data-testid=training-saved]").TextContent, StringComparison.Ordinal));
        Assert.Equal((ClassifierKind.Trained, "parcels@1", 0.8), (_saved!.Classifier.Kind, _saved.Classifier.Trained!.Model, _saved.Classifier.Trained.QualityTarget));
        Assert.Equal("parcels@1", Assert.Single(await Models.ListAsync(Xunit.TestContext.Current.CancellationToken)).Reference);
    }
}
