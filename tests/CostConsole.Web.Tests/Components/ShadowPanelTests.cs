using System.Text.Json;
using Bunit;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Web.Components.Routing;
using CostConsole.Web.Routing;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class ShadowPanelTests : ConsoleTestContext
{
    private RuleSetDefinition? _saved;

    private static CancellationToken Cancel => Xunit.TestContext.Current.CancellationToken;

    private RouterShadowService Shadows => Services.GetRequiredService<RouterShadowService>();

    private void AddServices()
    {
        Services.AddSingleton(Database.Routing);
        Services.AddSingleton(new TrainedModelService(Database.Factory, TimeProvider.System));
        Services.AddSingleton(new RouterShadowService(Database.Factory, Database.Compiler, TimeProvider.System));
        Services.AddSingleton(new ShadowComparer(Database.Factory, Database.Routing));
        Render<MudPopoverProvider>();
    }

    /// <summary>A stored model that sends everything to small at its training target, with held-out metrics like a real run's.</summary>
    private async Task<string> StoreAsync(string name = "always-small")
    {
        var model = new TrainedRouterModel
        {
            Name = name,
            TrainedAt = DateTimeOffset.UtcNow,
            Tiers = [new TierHead { Tier = "small", Constant = 0.95 }, new TierHead { Tier = "medium", Constant = 0.97 }, new TierHead { Tier = "large", Constant = 1 }],
            Summary = new TrainingSummary { Source = "labels.csv", Examples = 240, Learner = "logistic regression" },
            Metrics = JsonSerializer.SerializeToElement(new
            {
                boundaries = new[] { new { boundary = "small|medium", auroc = 0.912 }, new { boundary = "medium|large", auroc = 0.801 } },
                apgr = 0.734,
                liftOverRandom = 0.121,
                qualityTarget = 0.85,
            }),
        };
        return (await Services.GetRequiredService<TrainedModelService>().StoreAsync(model, "admin@test.local", Cancel)).Reference;
    }

    private async Task<IRenderedComponent<TrainedModelsPanel>> RenderModelsAsync()
    {
        var definition = (await Database.RuleSets.PublishedAsync(Cancel)).Definition;
        return Render<TrainedModelsPanel>(p => p
            .Add(x => x.Definition, definition)
            .Add(x => x.CanEdit, true)
            .Add(x => x.Save, d =>
            {
                _saved = d;
                return Task.FromResult(true);
            }));
    }

    private async Task AddLedgerAsync(string model, params (string Tier, string ShadowTier, int Escalations)[] rows)
    {
        await using var db = await Database.Factory.CreateDbContextAsync(Cancel);
        var at = DateTimeOffset.UtcNow;
        foreach (var (tier, shadowTier, escalations) in rows)
        {
            db.RequestLog.Add(new RequestLogRow
            {
                RequestId = Guid.NewGuid().ToString("N"),
                Timestamp = at,
                Tier = tier,
                ShadowModel = model,
                ShadowTier = shadowTier,
                PromptTokens = 1_000_000,
                CompletionTokens = 0,
                CostNanoUsd = Money.ToNanoUsd(tier == "large" ? 2.00m : tier == "medium" ? 0.40m : 0.10m),
                Escalations = escalations,
                Status = 0,
                HttpStatus = 200,
            });
        }

        await db.SaveChangesAsync(Cancel);
    }

    [Fact]
    public async Task The_models_list_shows_each_stored_version_with_its_data_and_held_out_metrics_and_which_rule_set_uses_it()
    {
        AddServices();
        var reference = await StoreAsync();

        var panel = await RenderModelsAsync();

        var row = panel.Find($"[data-testid='model-{reference}']").Closest("tr")!.TextContent;
        Assert.Contains("240 examples from labels.csv", row, StringComparison.Ordinal);
        Assert.Contains("small|medium 0.912, medium|large 0.801", row, StringComparison.Ordinal);
        Assert.Contains("0.734", row, StringComparison.Ordinal);
        Assert.Contains("+12.1 pts", row, StringComparison.Ordinal);
        Assert.Contains("0.85", row, StringComparison.Ordinal);
        Assert.Contains("admin@test.local", row, StringComparison.Ordinal);
        // The draft here is the published rule set, so the shipped model is both.
        Assert.Equal(["published", "draft"], panel.FindAll($"[data-testid='model-use-{ShippedModels.Support}'] .mud-chip").Select(c => c.TextContent.Trim()));
        Assert.Equal("", panel.Find($"[data-testid='model-use-{reference}']").TextContent.Trim());
    }

    [Fact]
    public async Task Use_in_draft_sets_the_drafts_trained_classifier_at_the_models_training_target()
    {
        AddServices();
        var reference = await StoreAsync();
        var panel = await RenderModelsAsync();

        await panel.Find($"[data-testid='model-draft-{reference}']").ClickAsync(new());

        Assert.Equal((ClassifierKind.Trained, reference, 0.85), (_saved!.Classifier.Kind, _saved.Classifier.Trained!.Model, _saved.Classifier.Trained.QualityTarget));
        Assert.Contains($"{reference} is the draft's classifier", panel.Find("[data-testid=models-message]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_models_than_a_page_are_paged()
    {
        AddServices();
        for (var i = 0; i < 11; i++)
        {
            await StoreAsync("batch");
        }

        var panel = await RenderModelsAsync();

        Assert.Equal(10, panel.FindAll("[data-testid=models-table] tbody tr").Count);
        Assert.Contains("1-10 of 12", panel.Find(".mud-table-pagination").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shadow_from_the_list_puts_the_model_in_shadow_live_and_the_shadow_tab_compares_it_then_stop_ends_it()
    {
        AddServices();
        var reference = await StoreAsync();
        var models = await RenderModelsAsync();
        var shadow = Render<ShadowPanel>();
        Assert.Contains("No trained model has been in shadow yet", shadow.Find("[data-testid=shadow-empty]").TextContent, StringComparison.Ordinal);

        await models.Find($"[data-testid='model-shadow-{reference}']").ClickAsync(new());

        Assert.Contains($"{reference} is in shadow at quality target 0.85", models.Find("[data-testid=models-message]").TextContent, StringComparison.Ordinal);
        Assert.Equal((reference, 0.85), (Database.Routing.Current.Shadow?.Model, Database.Routing.Current.Shadow?.QualityTarget));
        models.WaitForAssertion(() => Assert.Equal("shadow", models.Find($"[data-testid='model-use-{reference}']").TextContent.Trim()));
        shadow.WaitForAssertion(() => Assert.Contains("No request compared yet", shadow.Find("[data-testid=shadow-no-traffic]").TextContent, StringComparison.Ordinal));

        // Four requests: the shadow agrees on two; it would send a medium and a large one to small.
        await AddLedgerAsync(reference, ("small", "small", 0), ("medium", "small", 0), ("large", "small", 1), ("small", "small", 0));
        await shadow.Find("[data-testid=shadow-refresh]").ClickAsync(new());

        Assert.Equal("4", shadow.Find("[data-testid=shadow-compared]").TextContent);
        Assert.Equal("50.0 %", shadow.Find("[data-testid=shadow-agreement]").TextContent);
        Assert.Equal("2 cheaper, 0 more capable", shadow.Find("[data-testid=shadow-disagreement]").TextContent);
        Assert.Contains("4 (100.0 %)", shadow.Find("[data-testid=shadow-mix-small]").TextContent, StringComparison.Ordinal);
        Assert.Equal("$0.4000", shadow.Find("[data-testid=shadow-projected-cost]").TextContent);
        Assert.Equal("$2.6000", shadow.Find("[data-testid=shadow-published-cost]").TextContent);
        Assert.Equal("$2.6000", shadow.Find("[data-testid=shadow-actual-cost]").TextContent);
        Assert.Contains("acceptable answer 2 times", shadow.Find("[data-testid=shadow-quality]").TextContent, StringComparison.Ordinal);
        Assert.Contains("Unknown for 2", shadow.Find("[data-testid=shadow-quality]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(shadow.Find("[data-testid=chart-shadow-mix]"));

        await shadow.Find("[data-testid=shadow-stop]").ClickAsync(new());

        Assert.Null(Database.Routing.Current.Shadow);
        shadow.WaitForAssertion(() => Assert.Equal("stopped", shadow.Find("[data-testid=shadow-state]").TextContent));
        Assert.Empty(shadow.FindAll("[data-testid=shadow-stop]"));
        Assert.Equal("4", shadow.Find("[data-testid=shadow-compared]").TextContent);
        Assert.Null(await Shadows.ActiveAsync(Cancel));
    }

    [Fact]
    public void The_request_trace_says_what_the_shadow_would_have_chosen_and_that_it_was_not_served()
    {
        var row = new RequestLogRow
        {
            RequestId = "req-shadow",
            Tier = "medium",
            ShadowModel = "parcels@3",
            ShadowTier = "small",
            ShadowDecision = "trained parcels@3: P(acceptable) small 0.93, medium 0.95, large 0.99; cheapest tier ≥ 0.90 → small",
            HttpStatus = 200,
        };
        var failed = new RequestLogRow { RequestId = "req-broken", Tier = "medium", ShadowModel = "parcels@3", ShadowDecision = "shadow parcels@3 failed: boom", HttpStatus = 200 };
        Services.AddSingleton(new CostConsole.Web.Experiments.FeedbackService(Database.Factory, TimeProvider.System));
        Render<MudPopoverProvider>();

        var trace = Render<CostConsole.Web.Components.Requests.RequestTrace>(p => p.Add(x => x.Detail, new CostConsole.Web.Requests.RequestDetail(row, null, [])));
        var broken = Render<CostConsole.Web.Components.Requests.RequestTrace>(p => p.Add(x => x.Detail, new CostConsole.Web.Requests.RequestDetail(failed, null, [])));

        Assert.Contains("parcels@3 would have chosen small (not served)", trace.Find("[data-testid=trace-shadow]").TextContent, StringComparison.Ordinal);
        Assert.Contains("P(acceptable) small 0.93", trace.Find("[data-testid=trace-shadow]").TextContent, StringComparison.Ordinal);
        Assert.Contains("parcels@3 failed; ignored", broken.Find("[data-testid=trace-shadow]").TextContent, StringComparison.Ordinal);
        Assert.Contains("shadow parcels@3 failed: boom", broken.Find("[data-testid=trace-shadow]").TextContent, StringComparison.Ordinal);
    }
}
