using Bunit;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Components.Routing;
using CostConsole.Web.Routing;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class RouterLearningPanelTests : ConsoleTestContext
{
    private static readonly TimeSpan TrainingTime = TimeSpan.FromSeconds(90);
    private static readonly string[] Things = ["order", "parcel", "invoice", "voucher", "refund", "subscription"];

    private RuleSetDefinition? _saved;

    private void AddServices()
    {
        Services.AddSingleton(TimeProvider.System);
        var training = new RouterTrainingService(Database.Routing, O200kTokenCounter.Instance, TimeProvider.System);
        var models = new TrainedModelService(Database.Factory, TimeProvider.System);
        var ledger = new LedgerTrainingData(Database.Factory, Database.Routing);
        Services.AddSingleton(training);
        Services.AddSingleton(models);
        Services.AddSingleton(ledger);
        Services.AddSingleton(new RouterRetraining(Database.Factory, ledger, training, models, Database.RuleSets, Database.Routing,
            Microsoft.Extensions.Options.Options.Create(new RouterRetrainOptions()), TimeProvider.System));
    }

    /// <summary>Answered requests in the ledger: short questions resolved on small, long analyses that small answered unresolved and medium resolved.</summary>
    private async Task SeedLedgerAsync(int pairs = 30)
    {
        await using var db = await Database.Factory.CreateDbContextAsync(Xunit.TestContext.Current.CancellationToken);
        var now = DateTimeOffset.UtcNow.AddMinutes(-30);
        for (var i = 0; i < pairs; i++)
        {
            var thing = Things[i % Things.Length];
            foreach (var (prompt, tier, resolved) in new[]
            {
                ($"Where is my {thing} {1000 + i}? Tracking please.", "small", true),
                ($"Analyze the root cause of the churn in our {thing} segment {i}, compare the options and forecast the revenue impact step by step.", "small", false),
                ($"Analyze the root cause of the decline in our {thing} cohort {i}, compare the options and forecast the revenue impact step by step.", "medium", true),
            })
            {
                var id = Guid.NewGuid().ToString("N");
                db.RequestLog.Add(new RequestLogRow { RequestId = id, Timestamp = now.AddSeconds(i), Tier = tier, Status = (int)LedgerStatus.Answered, HttpStatus = 200, Prompt = prompt });
                db.Feedback.Add(new FeedbackEntity { RequestId = id, Resolved = resolved, Origin = "test", CreatedAt = now, UpdatedAt = now });
            }
        }

        await db.SaveChangesAsync(Xunit.TestContext.Current.CancellationToken);
    }

    private async Task<IRenderedComponent<RouterLearningPanel>> RenderPanelAsync(RuleSetDefinition? definition = null)
    {
        AddServices();
        definition ??= (await Database.RuleSets.PublishedAsync(Xunit.TestContext.Current.CancellationToken)).Definition;
        Render<MudPopoverProvider>();
        return Render<RouterLearningPanel>(p => p
            .Add(x => x.Definition, definition)
            .Add(x => x.Save, d =>
            {
                _saved = d;
                return Task.FromResult(true);
            }));
    }

    [Fact]
    public async Task Retraining_now_lists_a_proposal_with_its_figures_beside_the_published_router_and_use_in_draft_names_it_in_the_draft()
    {
        await SeedLedgerAsync();
        var panel = await RenderPanelAsync();
        Assert.Contains("No proposals yet", panel.Find("[data-testid=proposals-empty]").TextContent, StringComparison.Ordinal);

        await panel.Find("[data-testid=retrain-run]").ClickAsync(new());

        panel.WaitForElement("[data-testid=proposals] tbody tr", TrainingTime);
        var row = panel.Find("[data-testid=proposals] tbody tr");
        Assert.Contains("ledger-router@", row.TextContent, StringComparison.Ordinal);
        Assert.Matches(@"\d+\.\d %.·.\d+\.\d %", panel.Find("[data-testid=proposal-quality]").TextContent);
        Assert.Contains("90 requests", row.TextContent, StringComparison.Ordinal);

        await panel.Find("[data-testid=proposal-use]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Equal("in the draft", panel.Find("[data-testid=proposal-state]").TextContent));
        Assert.StartsWith("ledger-router@", _saved!.Classifier.Trained!.Model, StringComparison.Ordinal);
        Assert.Equal(ClassifierKind.Trained, _saved.Classifier.Kind);
        Assert.Contains("is now the draft's classifier", panel.Find("[data-testid=learning-message]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Too_few_labelled_requests_say_how_many_more_are_needed_and_propose_nothing()
    {
        await SeedLedgerAsync(pairs: 5);
        var panel = await RenderPanelAsync();

        await panel.Find("[data-testid=retrain-run]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Contains("needs 25 more labelled requests", panel.Find("[data-testid=learning-error]").TextContent, StringComparison.Ordinal), TrainingTime);
        Assert.Empty(await Services.GetRequiredService<RouterRetraining>().ListAsync(Xunit.TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_exploration_share_above_one_half_is_refused_and_the_draft_is_not_saved_while_a_valid_one_is()
    {
        var published = (await Database.RuleSets.PublishedAsync(Xunit.TestContext.Current.CancellationToken)).Definition;
        var trained = published with { Classifier = published.Classifier with { Kind = ClassifierKind.Trained, Trained = new TrainedClassifierDefinition { Model = CostConsole.Routing.Learning.ShippedModels.Support } } };
        var panel = await RenderPanelAsync(trained);

        await panel.Find("input[data-testid=exploration-share], [data-testid=exploration-share] input").ChangeAsync(new() { Value = "0.7" });
        await panel.Find("[data-testid=exploration-save]").ClickAsync(new());

        Assert.Contains("must be a number from 0 to 0.5; got '0.7'", panel.Find("[data-testid=learning-error]").TextContent, StringComparison.Ordinal);
        Assert.Null(_saved);

        await panel.Find("input[data-testid=exploration-share], [data-testid=exploration-share] input").ChangeAsync(new() { Value = "0.05" });
        await panel.Find("[data-testid=exploration-save]").ClickAsync(new());

        Assert.Equal(0.05, _saved!.Classifier.Trained!.Exploration);
    }

    [Fact]
    public async Task The_training_panel_reads_the_ledger_shows_what_it_found_per_source_and_trains_on_it()
    {
        await SeedLedgerAsync();
        AddServices();
        var definition = (await Database.RuleSets.PublishedAsync(Xunit.TestContext.Current.CancellationToken)).Definition;
        Render<MudPopoverProvider>();
        var panel = Render<TrainingPanel>(p => p
            .Add(x => x.Definition, definition)
            .Add(x => x.Tiers, ["small", "medium", "large"])
            .Add(x => x.Save, _ => Task.FromResult(true)));

        await panel.Find("input[data-testid=training-source-ledger]").ClickAsync(new());
        await panel.Find("[data-testid=ledger-read]").ClickAsync(new());

        panel.WaitForElement("[data-testid=ledger-summary]");
        Assert.Contains("90 labelled requests", panel.Find("[data-testid=ledger-summary]").TextContent, StringComparison.Ordinal);
        Assert.Contains("90", panel.Find("[data-testid=ledger-source-feedback]").TextContent, StringComparison.Ordinal);
        Assert.Contains("0", panel.Find("[data-testid=ledger-source-escalation]").TextContent, StringComparison.Ordinal);
        Assert.Empty(panel.FindAll("[data-testid=training-empty]"));

        await panel.Find("[data-testid=training-run]").ClickAsync(new());
        panel.WaitForElement("[data-testid=training-result]", TrainingTime);
        Assert.Contains("This model", panel.Find("[data-testid=training-metrics]").TextContent, StringComparison.Ordinal);
    }
}
