using Bunit;
using CostConsole.Routing.Rules;
using CostConsole.Web.Components.Routing;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

/// <summary>The semantic classifier's form: a save says what it changed; a threshold outside 0–1 saves nothing.</summary>
public sealed class ClassifierPanelTests : ConsoleTestContext
{
    private readonly List<RuleSetDefinition> _saved = [];

    private static readonly RuleSetDefinition Semantic = new()
    {
        DefaultTier = "medium",
        Classifier = new ClassifierDefinition
        {
            Kind = ClassifierKind.Semantic,
            Semantic = new SemanticClassifierDefinition
            {
                Examples = new Dictionary<string, IReadOnlyList<string>> { ["small"] = ["Where is my parcel?"], ["large"] = ["Compare these two contracts"] },
                Threshold = 0.3,
                Neighbours = 3,
                Vectoriser = Vectoriser.HashedTfIdf,
            },
        },
    };

    private IRenderedComponent<ClassifierPanel> RenderPanel(RuleSetDefinition definition)
    {
        Render<MudPopoverProvider>();
        return Render<ClassifierPanel>(p => p
            .Add(x => x.Definition, definition)
            .Add(x => x.Tiers, ["small", "medium", "large"])
            .Add(x => x.Models, ["gpt-4.1-nano"])
            .Add(x => x.Save, d =>
            {
                _saved.Add(d);
                return Task.FromResult(true);
            }));
    }

    [Fact]
    public async Task A_save_confirms_what_changed_and_saving_again_without_changes_writes_nothing()
    {
        var panel = RenderPanel(Semantic);
        await panel.Find("[data-testid=examples-small]").ChangeAsync(new() { Value = "Where is my parcel?\nTrack my order" });
        await panel.InvokeAsync(() => panel.FindComponent<MudSlider<double>>().Instance.ValueChanged.InvokeAsync(0.25));

        await panel.Find("[data-testid=classifier-save]").ClickAsync(new());

        var saved = Assert.Single(_saved);
        Assert.Equal(0.25, saved.Classifier.Semantic!.Threshold);
        var confirmation = panel.Find("[data-testid=classifier-saved]").TextContent;
        Assert.Contains("Saved to the draft", confirmation, StringComparison.Ordinal);
        Assert.Contains("threshold 0.30 → 0.25", confirmation, StringComparison.Ordinal);
        Assert.Contains("small examples: 1 added, 0 removed (2 now)", confirmation, StringComparison.Ordinal);
        Assert.DoesNotContain("large examples", confirmation, StringComparison.Ordinal);

        // The page hands the saved draft back; saving it unchanged says so and writes nothing.
        panel.Render(p => p.Add(x => x.Definition, saved));
        await panel.Find("[data-testid=classifier-save]").ClickAsync(new());
        Assert.Contains("Nothing to save", panel.Find("[data-testid=classifier-saved]").TextContent, StringComparison.Ordinal);
        Assert.Single(_saved);
    }

    [Fact]
    public async Task A_threshold_outside_zero_to_one_is_refused_and_nothing_is_saved()
    {
        var panel = RenderPanel(Semantic);
        await panel.InvokeAsync(() => panel.FindComponent<MudSlider<double>>().Instance.ValueChanged.InvokeAsync(1.5));

        await panel.Find("[data-testid=classifier-save]").ClickAsync(new());

        Assert.Contains("between 0 and 1; 1.5 is not. Nothing was saved.", panel.Find("[data-testid=classifier-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(_saved);
        Assert.Empty(panel.FindAll("[data-testid=classifier-saved]"));
    }
}
