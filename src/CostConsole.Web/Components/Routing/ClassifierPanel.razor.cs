using System.Globalization;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Evaluation;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Web.Components.Charts;
using CostConsole.Web.Playground;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Routing;

public sealed partial class ClassifierPanel : IDisposable
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

    // Tuning with labelled prompts: the text, and what the last import or threshold check found.
    private string _labelled = "";
    private int _savedExamples;
    private bool _probing;
    private int _probed;
    private int _probeTotal;
    private CancellationTokenSource? _probeCancel;
    private string? _labelledError;
    private string? _imported;
    private ThresholdCheck? _suggestion;
    private int _suggestionVersion;

    [Inject]
    private MudBlazor.ISnackbar Snackbar { get; set; } = null!;

    [Inject]
    private RoutingLab Lab { get; set; } = null!;

    [Inject]
    private LabelledExamples Examples { get; set; } = null!;

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

    protected override async Task OnInitializedAsync() => _savedExamples = await Examples.CountAsync();

    private static ChartOptions ThresholdOptions => new()
    {
        Type = ChartType.Line,
        Format = ChartFormat.Percent,
        XAxis = ChartXAxis.Similarity,
        Height = 280,
        XTitle = "Similarity threshold",
        YTitle = "Share of labelled prompts",
    };

    internal static IReadOnlyList<ChartSeries> ThresholdSeries(ThresholdCurve curve)
    {
        static ChartPoint At(double threshold, double value) => new((long)Math.Round(threshold * 100), value);
        return
        [
            new ChartSeries("Accuracy", [.. curve.Points.Select(p => At(p.Threshold, p.Accuracy))]),
            new ChartSeries("Decided by the examples", [.. curve.Points.Select(p => At(p.Threshold, p.Coverage))]),
            new ChartSeries("Suggested threshold", [At(curve.Suggested.Threshold, curve.Suggested.Accuracy)]),
        ];
    }

    /// <summary>Fills the labelled prompts with the examples saved from the playground, as CSV, so the user sees and can edit what is used.</summary>
    private async Task UseSavedAsync()
    {
        _labelledError = null;
        var (prompts, skipped) = await Examples.ForCheckAsync(Tiers);
        _savedExamples = prompts.Count + skipped;
        _labelled = string.Join('\n', prompts.Select(p => $"\"{p.Prompt.Replace("\"", "\"\"", StringComparison.Ordinal)}\",{p.ExpectedTier}"));
        if (skipped > 0)
        {
            _labelledError = $"{skipped} saved example(s) expect a tier that no longer exists and were left out.";
        }
    }

    private IReadOnlyList<LabelledPrompt>? ParseLabelled()
    {
        _labelledError = null;
        _imported = null;
        try
        {
            return LabelledSetReader.Parse(_labelled, Tiers);
        }
        catch (LabelledSetException ex)
        {
            _labelledError = ex.Message;
            return null;
        }
    }

    /// <summary>Adds each labelled prompt to its tier's example prompts in the form, leaving out prompts that are examples already.</summary>
    private void ImportExamples()
    {
        if (ParseLabelled() is not { } prompts)
        {
            return;
        }

        var existing = _examples.Values.SelectMany(v => v.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var added = Tiers.ToDictionary(t => t, _ => 0);
        var already = 0;
        foreach (var prompt in prompts)
        {
            // An example is one line: a prompt's own line breaks become spaces.
            var text = string.Join(' ', prompt.Prompt.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            if (!existing.Add(text))
            {
                already++;
                continue;
            }

            var current = _examples.GetValueOrDefault(prompt.ExpectedTier, "");
            _examples[prompt.ExpectedTier] = current.Length == 0 || current.EndsWith('\n') ? current + text : current + "\n" + text;
            added[prompt.ExpectedTier]++;
        }

        var total = added.Values.Sum();
        var perTier = string.Join(", ", added.Where(a => a.Value > 0).Select(a => $"{a.Value} to {a.Key}"));
        _imported = (total == 0 ? "No example added" : $"Added {total} example prompt(s): {perTier}")
            + (already > 0 ? $"; {already} already an example, left as is" : "")
            + (total > 0 ? ". Save to draft to keep them." : ".");
    }

    private async Task SuggestAsync()
    {
        if (ParseLabelled() is not { } prompts)
        {
            return;
        }

        _suggestion = null;
        _probing = true;
        _probed = 0;
        _probeTotal = prompts.Count;
        _probeCancel = new CancellationTokenSource();
        var progress = new Progress<int>(done =>
        {
            _probed = done;
            _ = InvokeAsync(StateHasChanged);
        });
        var draft = Definition with { Classifier = new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = FormSemantic() } };
        try
        {
            _suggestion = await Task.Run(() => Lab.ThresholdAsync(draft, prompts, progress, _probeCancel.Token));
            _suggestionVersion++;
        }
        catch (OperationCanceledException)
        {
            _labelledError = "Cancelled.";
        }
        catch (RoutingConfigException ex)
        {
            _labelledError = "The examples cannot be checked: " + string.Join(" ", ex.Errors);
        }
        catch (EmbeddingException ex)
        {
            _labelledError = $"The {_vectoriser} vectoriser could not run: {ex.Message}";
        }
        finally
        {
            _probing = false;
            _probeCancel.Dispose();
            _probeCancel = null;
        }
    }

    private void UseSuggested()
    {
        if (_suggestion?.Curve is { } curve)
        {
            _threshold = curve.Suggested.Threshold;
        }
    }

    public void Dispose() => _probeCancel?.Cancel();

    private SemanticClassifierDefinition FormSemantic() => new()
    {
        Examples = _examples.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]),
        Threshold = _threshold,
        Neighbours = _neighbours,
        Vectoriser = _vectoriser,
        EmbeddingModel = _vectoriser == Vectoriser.Embeddings ? _embeddingModel : null,
    };

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
            Semantic = _kind is ClassifierKind.Semantic or ClassifierKind.Hybrid ? FormSemantic() : Definition.Classifier.Semantic,
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
