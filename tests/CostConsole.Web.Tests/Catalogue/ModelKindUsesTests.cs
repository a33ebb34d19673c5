using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Rules;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Experiments;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Catalogue;

/// <summary>
/// A chat model the routing uses outside the tier mapping and the rules — the LLM classifier, an answer check's judge,
/// a running experiment's arm — cannot become an embeddings model: the catalogue names that use, and nothing is saved.
/// </summary>
public sealed class ModelKindUsesTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private CatalogueService Service => factory.Services.GetRequiredService<CatalogueService>();

    private async Task AddChatModelAsync(string id)
    {
        var added = await Service.SaveModelAsync(
            new ModelForm { Provider = "simulator", ModelId = id, DisplayName = id, Tier = "small", InitialPrice = new PriceForm { InputPerMillion = 0.1m, OutputPerMillion = 0.4m } }, "alice", Cancel);
        Assert.True(added.Saved, added.Summary);
    }

    private async Task<CatalogueResult> ChangeKindAsync(string id, ModelKind kind)
    {
        var model = (await Service.ModelsAsync(Cancel)).Single(m => m.ModelId == id);
        return await Service.SaveModelAsync(new ModelForm
        {
            Id = model.Id,
            Provider = model.Provider,
            ModelId = model.ModelId,
            DisplayName = model.DisplayName,
            Tier = model.Tier,
            Enabled = model.Enabled,
            Kind = kind,
            ConcurrencyStamp = model.ConcurrencyStamp,
        }, "alice", Cancel);
    }

    private async Task PublishAsync(Func<RuleSetDefinition, RuleSetDefinition> change)
    {
        var rules = factory.Services.GetRequiredService<RuleSetService>();
        var draft = await rules.DraftAsync("test", Cancel);
        var saved = await rules.SaveDraftAsync(change(draft.Definition), draft.ConcurrencyStamp, "test", Cancel);
        Assert.True(saved.Done, saved.Summary);
        var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "model kind test", "test", Cancel);
        Assert.True(published.Done, published.Summary);
    }

    private async Task AssertRefusedAsync(string id, params string[] uses)
    {
        var refused = await ChangeKindAsync(id, ModelKind.Embedding);

        Assert.False(refused.Saved);
        Assert.Contains($"simulator/{id} is used by the routing as a chat model, so it cannot become an embeddings model", refused.Summary, StringComparison.Ordinal);
        foreach (var use in uses)
        {
            Assert.Contains(use, refused.Summary, StringComparison.Ordinal);
        }

        Assert.Contains("nothing was saved", refused.Summary, StringComparison.Ordinal);
        Assert.Equal(ModelKind.Chat, (await Service.ModelsAsync(Cancel)).Single(m => m.ModelId == id).Kind);
        Assert.Equal(ModelKind.Chat, factory.Services.GetRequiredService<CostConsole.Routing.Decisions.RoutingState>().Current.FindModel(id)!.Model.Kind);
    }

    [Fact]
    public async Task A_model_the_llm_classifier_asks_cannot_become_an_embeddings_model_and_the_classifier_is_named()
    {
        await AddChatModelAsync("classifier-model");
        await PublishAsync(d => d with
        {
            Classifier = new ClassifierDefinition
            {
                Kind = ClassifierKind.Llm,
                Llm = new() { Model = "simulator/classifier-model", Labels = new Dictionary<string, string> { ["small"] = "small", ["large"] = "large" } },
            },
        });

        await AssertRefusedAsync("classifier-model", "the classifier names simulator/classifier-model, an embeddings model");

        // Once the classifier no longer asks it, the same change is saved.
        await PublishAsync(d => d with { Classifier = new ClassifierDefinition() });
        var saved = await ChangeKindAsync("classifier-model", ModelKind.Embedding);
        Assert.True(saved.Saved, saved.Summary);
    }

    [Fact]
    public async Task A_model_that_judges_a_tiers_answers_cannot_become_an_embeddings_model_and_the_judge_is_named()
    {
        await AddChatModelAsync("judge-model");
        await PublishAsync(d => d with
        {
            Escalation = new EscalationPolicy
            {
                Tiers = [new TierGates { Tier = "small", Judge = new JudgeDefinition { Model = "simulator/judge-model", Prompt = "Question: {question}\nAnswer: {answer}\nGrade it from 1 to 5." } }],
            },
        });

        await AssertRefusedAsync("judge-model", "the judge names simulator/judge-model, an embeddings model");
    }

    [Fact]
    public async Task A_model_a_running_experiments_arm_maps_cannot_become_an_embeddings_model_and_the_arm_is_named()
    {
        await AddChatModelAsync("arm-model");
        var experiments = factory.Services.GetRequiredService<ExperimentService>();
        var created = await experiments.CreateAsync(new ExperimentForm
        {
            Name = "small tier on arm-model",
            Unit = AssignmentUnitKind.Conversation,
            ScopeTiers = ["small"],
            Arms =
            [
                Arm("control", "simulator/gpt-4.1-nano"),
                Arm("trial", "simulator/arm-model"),
            ],
        }, "tester", Cancel);
        Assert.True(created.Done, created.Summary);
        Assert.True((await experiments.StartAsync(created.Id!.Value, "tester", Cancel)).Done);

        await AssertRefusedAsync("arm-model", "Experiment 'small tier on arm-model', arm 'trial': tier 'small' names simulator/arm-model, an embeddings model");
    }

    private static ArmForm Arm(string name, string small) => new()
    {
        Name = name,
        Weight = 50,
        Tiers = new(StringComparer.OrdinalIgnoreCase)
        {
            ["small"] = [small],
            ["medium"] = ["simulator/gpt-4.1-mini"],
            ["large"] = ["simulator/gpt-4.1"],
        },
    };
}
