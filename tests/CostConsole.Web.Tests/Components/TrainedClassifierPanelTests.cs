using CostConsole.Web.Playground;
using Microsoft.Extensions.DependencyInjection;
using Bunit;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Web.Components.Routing;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class TrainedClassifierPanelTests : ConsoleTestContext
{
    [Fact]
    public async Task Saving_the_classifier_keeps_the_trained_model_and_its_new_quality_target()
    {
        RuleSetDefinition? saved = null;
        var definition = new RuleSetDefinition
        {
            DefaultTier = "medium",
            Classifier = new ClassifierDefinition { Kind = ClassifierKind.Trained, Trained = new() { Model = ShippedModels.Support, QualityTarget = 0.9 } },
        };
        Services.AddSingleton(Database.Lab);
        Services.AddSingleton(new LabelledExamples(Database.Factory, TimeProvider.System));
        Render<MudPopoverProvider>();
        var panel = Render<ClassifierPanel>(p => p
            .Add(x => x.Definition, definition)
            .Add(x => x.Tiers, ["small", "medium", "large"])
            .Add(x => x.Models, ["gpt-4.1-nano"])
            .Add(x => x.Save, d =>
            {
                saved = d;
                return Task.FromResult(true);
            }));

        Assert.Equal(ShippedModels.Support, panel.Find("[data-testid=trained-model]").GetAttribute("value"));
        await panel.Find("[data-testid=trained-quality-target]").ChangeAsync(new() { Value = "0.8" });
        await panel.Find("[data-testid=classifier-save]").ClickAsync(new());

        panel.WaitForAssertion(() => Assert.Equal((ClassifierKind.Trained, ShippedModels.Support, 0.8), (saved!.Classifier.Kind, saved.Classifier.Trained!.Model, saved.Classifier.Trained.QualityTarget)));
    }
}
