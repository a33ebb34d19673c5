using System.Globalization;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Routing;

public sealed partial class ClassifierPanel
{
    private ClassifierKind _kind;
    private string _trainedModel = ShippedModels.Support;
    private double _qualityTarget = TrainedClassifierDefinition.DefaultQualityTarget;
    private Dictionary<string, string> _examples = [];
    private double _threshold;
    private int _neighbours;
    private Vectoriser _vectoriser;
    private string? _embeddingModel;
    private string _prompt = "";
    private string _labels = "";
    private string? _model;
    private int _maxTokens;
    private string? _error;
    private ClassifierDefinition? _loaded;
    private IReadOnlyList<string>? _saved;

    [Inject]
    private MudBlazor.ISnackbar Snackbar { get; set; } = null!;

    [Parameter, EditorRequired]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter, EditorRequired]
    public IReadOnlyList<string> Tiers { get; set; } = [];

    [Parameter, EditorRequired]
    public IReadOnlyCollection<string> Models { get; set; } = [];

    /// <summary>The live classifier's counts, when it calls a model.</summary>
    [Parameter]
    public IClassifierCounters? Counters { get; set; }

    /// <summary>The published classifier, when it compares prompts with examples: which vectoriser it runs, and whether it can.</summary>
    [Parameter]
    public IVectorisedClassifier? Live { get; set; }

    /// <summary>The published rule set's default tier, where requests go when the live vectoriser cannot run.</summary>
    [Parameter]
    public string? LiveDefaultTier { get; set; }

    [Parameter]
    public bool Busy { get; set; }

    [Parameter]
    public Func<RuleSetDefinition, Task<bool>> Save { get; set; } = null!;

    protected override void OnParametersSet()
    {
        if (ReferenceEquals(_loaded, Definition.Classifier))
        {
            return;
        }

        // Load the form from the draft (again only when the draft's classifier changed, so typing is not lost).
        _loaded = Definition.Classifier;
        var semantic = _loaded.Semantic ?? new SemanticClassifierDefinition();
        var llm = _loaded.Llm ?? new LlmClassifierDefinition { Labels = Tiers.ToDictionary(t => t, t => t) };
        _kind = _loaded.Kind;
        _examples = Tiers.ToDictionary(t => t, t => string.Join('\n', semantic.Examples.GetValueOrDefault(t) ?? []));
        _threshold = semantic.Threshold;
        _neighbours = semantic.Neighbours;
        _vectoriser = semantic.Vectoriser;
        _embeddingModel = semantic.EmbeddingModel;
        _prompt = llm.Prompt;
        _labels = string.Join('\n', llm.Labels.Select(kv => $"{kv.Key} = {kv.Value}"));
        _model = string.IsNullOrEmpty(llm.Model) ? Models.FirstOrDefault() : llm.Model;
        _maxTokens = llm.MaxTokens;
        _trainedModel = _loaded.Trained?.Model ?? ShippedModels.Support;
        _qualityTarget = _loaded.Trained?.QualityTarget ?? TrainedClassifierDefinition.DefaultQualityTarget;
    }

    private string DefaultTierOfLive => LiveDefaultTier ?? Definition.DefaultTier;

    private static string VectoriserHelp(Vectoriser vectoriser) => vectoriser switch
    {
        Vectoriser.MiniLm => "MiniLM (all-MiniLM-L6-v2) runs in this process: prompts with the same meaning match even without shared words; about 10 ms a prompt the first time it is seen.",
        Vectoriser.HashedTfIdf => "Shared words and word pieces decide; well under a millisecond, but different words for the same thing do not match.",
        _ => "Each new prompt is sent to the embeddings model (a network call, and a cost); if it fails, the request goes to the default tier.",
    };

    private async Task SaveAsync()
    {
        _error = null;
        _saved = null;
        if (_threshold is < 0 or > 1 || double.IsNaN(_threshold))
        {
            _error = string.Create(CultureInfo.InvariantCulture, $"The similarity threshold is between 0 and 1; {_threshold} is not. Nothing was saved.");
            return;
        }

        var labels = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var lines = _labels.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        for (var i = 0; i < lines.Length; i++)
        {
            var parts = lines[i].Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
            {
                _error = $"Label line {i + 1} ('{lines[i]}'): write it as label = tier, e.g. simple = small.";
                return;
            }

            if (!labels.TryAdd(parts[0], parts[1]))
            {
                _error = $"Label '{parts[0]}' is listed twice.";
                return;
            }
        }

        var classifier = new ClassifierDefinition
        {
            Kind = _kind,
            Semantic = _kind is ClassifierKind.Semantic or ClassifierKind.Hybrid
                ? new SemanticClassifierDefinition
                {
                    Examples = _examples.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]),
                    Threshold = _threshold,
                    Neighbours = _neighbours,
                    Vectoriser = _vectoriser,
                    EmbeddingModel = _vectoriser == Vectoriser.Embeddings ? _embeddingModel : null,
                }
                : Definition.Classifier.Semantic,
            Llm = _kind is ClassifierKind.Llm or ClassifierKind.Hybrid
                ? new LlmClassifierDefinition { Prompt = _prompt, Labels = labels, Model = _model ?? "", MaxTokens = _maxTokens }
                : Definition.Classifier.Llm,
            Trained = _kind is ClassifierKind.Trained
                ? (Definition.Classifier.Trained ?? new TrainedClassifierDefinition()) with { Model = _trainedModel.Trim(), QualityTarget = _qualityTarget }
                : Definition.Classifier.Trained,
        };

        var changes = Changes(Definition.Classifier, classifier);
        if (changes.Count == 0)
        {
            _saved = changes;
            return;
        }

        if (await Save(Definition with { Classifier = classifier }))
        {
            _saved = changes;
            Snackbar.Add("Classifier saved to the draft: " + string.Join("; ", changes) + ".", MudBlazor.Severity.Success);
        }
    }

    private static string Kind(ClassifierKind kind) => kind switch
    {
        ClassifierKind.DefaultTier => "default tier only",
        ClassifierKind.Semantic => "semantic",
        ClassifierKind.Llm => "LLM",
        ClassifierKind.Hybrid => "hybrid",
        _ => "trained",
    };

    /// <summary>What a save changes, in words, so the user sees that it took and what it did.</summary>
    private static List<string> Changes(ClassifierDefinition before, ClassifierDefinition after)
    {
        var changes = new List<string>();
        if (before.Kind != after.Kind)
        {
            changes.Add($"classifier {Kind(before.Kind)} → {Kind(after.Kind)}");
        }

        if (after.Semantic is { } semantic && after.Kind is ClassifierKind.Semantic or ClassifierKind.Hybrid)
        {
            var old = before.Semantic ?? new SemanticClassifierDefinition();
            if (Math.Abs(old.Threshold - semantic.Threshold) > 1e-9)
            {
                changes.Add(string.Create(CultureInfo.InvariantCulture, $"threshold {old.Threshold:0.00} → {semantic.Threshold:0.00}"));
            }

            if (old.Neighbours != semantic.Neighbours)
            {
                changes.Add($"neighbours {old.Neighbours} → {semantic.Neighbours}");
            }

            if (old.Vectoriser != semantic.Vectoriser || old.EmbeddingModel != semantic.EmbeddingModel)
            {
                changes.Add($"vectoriser {old.Vectoriser} → {semantic.Vectoriser}");
            }

            foreach (var tier in semantic.Examples.Keys.Union(old.Examples.Keys, StringComparer.OrdinalIgnoreCase))
            {
                var was = (old.Examples.GetValueOrDefault(tier) ?? []).ToHashSet(StringComparer.Ordinal);
                var now = (semantic.Examples.GetValueOrDefault(tier) ?? []).ToHashSet(StringComparer.Ordinal);
                var added = now.Count(e => !was.Contains(e));
                var removed = was.Count(e => !now.Contains(e));
                if (added + removed > 0)
                {
                    changes.Add($"{tier} examples: {added} added, {removed} removed ({now.Count} now)");
                }
            }
        }

        if (after.Llm is { } llm && after.Kind is ClassifierKind.Llm or ClassifierKind.Hybrid)
        {
            var old = before.Llm;
            if (old?.Prompt != llm.Prompt)
            {
                changes.Add("classifier prompt edited");
            }

            if (old?.Model != llm.Model || old?.MaxTokens != llm.MaxTokens)
            {
                changes.Add($"model {old?.Model ?? "none"} → {llm.Model}, up to {llm.MaxTokens} tokens");
            }

            if (old is null || !old.Labels.OrderBy(kv => kv.Key).SequenceEqual(llm.Labels.OrderBy(kv => kv.Key)))
            {
                changes.Add($"labels: {string.Join(", ", llm.Labels.Select(kv => $"{kv.Key} = {kv.Value}"))}");
            }
        }

        if (after.Trained is { } trained && after.Kind is ClassifierKind.Trained
            && (before.Trained?.Model != trained.Model || Math.Abs((before.Trained?.QualityTarget ?? -1) - trained.QualityTarget) > 1e-9))
        {
            changes.Add(string.Create(CultureInfo.InvariantCulture, $"trained model {trained.Model}, quality target {trained.QualityTarget:0.00}"));
        }

        return changes;
    }
}
