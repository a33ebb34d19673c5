using Bunit;
using CostConsole.Web.Playground;
using Microsoft.Extensions.DependencyInjection;
using CostConsole.Routing.Rules;
using CostConsole.Web.Components.Routing;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

/// <summary>
/// The semantic classifier's form: a save says what it changed; a threshold outside 0–1 saves nothing; labelled
/// prompts become examples or suggest a threshold from the accuracy curve.
/// </summary>
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
        Services.AddSingleton(Database.Lab);
        Services.AddSingleton(new LabelledExamples(Database.Factory, TimeProvider.System));
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

    [Fact]
    public async Task Labelled_prompts_are_added_to_their_tiers_examples_once_and_saved_with_the_classifier()
    {
        var panel = RenderPanel(Semantic);
        await panel.Find("[data-testid=classifier-labelled]").InputAsync(new() { Value = "prompt,tier\nTrack my order,small\nWhere is my parcel?,small\n\"Draft a contract, then compare it\",large" });

        await panel.Find("[data-testid=classifier-import]").ClickAsync(new());

        var imported = panel.Find("[data-testid=classifier-imported]").TextContent;
        Assert.Contains("Added 2 example prompt(s): 1 to small, 1 to large; 1 already an example, left as is. Save to draft", imported, StringComparison.Ordinal);
        Assert.Equal("Where is my parcel?\nTrack my order", panel.Find("[data-testid=examples-small]").GetAttribute("value"));
        await panel.Find("[data-testid=classifier-save]").ClickAsync(new());
        var examples = Assert.Single(_saved).Classifier.Semantic!.Examples;
        Assert.Equal(["Where is my parcel?", "Track my order"], examples["small"]);
        Assert.Equal(["Compare these two contracts", "Draft a contract, then compare it"], examples["large"]);
    }

    [Fact]
    public async Task A_threshold_is_suggested_from_the_accuracy_curve_and_use_suggested_puts_it_in_the_draft()
    {
        var panel = RenderPanel(Semantic with { Classifier = Semantic.Classifier with { Semantic = Semantic.Classifier.Semantic! with { Threshold = 0.95 } } });
        // Paraphrases of the examples, and two prompts like neither that belong on the default tier.
        await panel.Find("[data-testid=classifier-labelled]").InputAsync(new()
        {
            Value = "Where is my parcel now?,small\nWhere is the parcel?,small\nCompare these contracts,large\nCompare the two contracts please,large\nSummarise the weather forecast,medium\nTranslate a poem into French,medium\nWhere is my parcel?,small",
        });

        await panel.Find("[data-testid=classifier-suggest]").ClickAsync(new());

        panel.WaitForElement("[data-testid=classifier-suggested]", TimeSpan.FromSeconds(30));
        var suggested = double.Parse(panel.Find("[data-testid=classifier-suggested]").TextContent, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(suggested, 0.01, 0.94);
        Assert.Contains("100.0 % right, the examples decide 67 % of the 6 prompt(s)", panel.Find("[data-testid=classifier-suggestion]").TextContent, StringComparison.Ordinal);
        // At 0.95 the paraphrases fall to the default tier: only the two default-tier prompts are right.
        Assert.Equal("33.3 % right", panel.Find("[data-testid=classifier-current-accuracy]").TextContent);
        Assert.Contains("1 prompt(s) are example prompts themselves and were left out", panel.Find("[data-testid=classifier-left-out]").TextContent, StringComparison.Ordinal);
        Assert.NotNull(panel.Find("[data-testid=chart-classifier-threshold]"));

        await panel.Find("[data-testid=classifier-use-suggested]").ClickAsync(new());
        Assert.Equal("100.0 % right", panel.Find("[data-testid=classifier-current-accuracy]").TextContent);
        await panel.Find("[data-testid=classifier-save]").ClickAsync(new());

        Assert.Equal(suggested, Assert.Single(_saved).Classifier.Semantic!.Threshold, 9);
        Assert.Contains($"threshold 0.95 → {suggested:0.00}", panel.Find("[data-testid=classifier-saved]").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Labelled_prompts_naming_a_tier_that_does_not_exist_are_refused_and_change_no_example()
    {
        var panel = RenderPanel(Semantic);
        await panel.Find("[data-testid=classifier-labelled]").InputAsync(new() { Value = "Track my order,tiny" });

        await panel.Find("[data-testid=classifier-import]").ClickAsync(new());

        Assert.Contains("Line 1: 'tiny' is not a tier", panel.Find("[data-testid=classifier-labelled-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(panel.FindAll("[data-testid=classifier-imported]"));
        await panel.Find("[data-testid=classifier-save]").ClickAsync(new());
        Assert.Empty(_saved);
    }
}
