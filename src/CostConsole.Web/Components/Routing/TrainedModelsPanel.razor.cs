using System.Globalization;
using System.Text.Json;
using CostConsole.Data.Learning;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Web.Access;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Routing;

/// <summary>A trained model as the list shows it: what it was trained on and how it did on its held-out split.</summary>
public sealed record TrainedModelRow(string Reference, string TrainedBy, DateTimeOffset? TrainedAt, string Data, string Auroc, double? Apgr, double? Lift, double QualityTarget);

/// <summary>
/// The stored trained models (newest first) and the shipped ones: which the published rule set, the draft and the
/// shadow use, and the actions "use in draft" and "shadow". Reloads when a routing snapshot is published.
/// </summary>
public sealed partial class TrainedModelsPanel : IDisposable
{
    private List<TrainedModelRow>? _rows;
    private string? _published;
    private string? _shadow;
    private string? _message;
    private bool _failed;
    private bool _busy;

    [Inject]
    private TrainedModelService Models { get; set; } = null!;

    [Inject]
    private RouterShadowService Shadows { get; set; } = null!;

    [Inject]
    private RoutingState Routing { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    /// <summary>The draft whose classifier "Use in draft" sets.</summary>
    [Parameter, EditorRequired]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter]
    public bool Busy { get; set; }

    [Parameter]
    public bool CanEdit { get; set; }

    /// <summary>Saves the whole draft; false when it was refused (the page says why).</summary>
    [Parameter, EditorRequired]
    public Func<RuleSetDefinition, Task<bool>> Save { get; set; } = null!;

    private RuleSetDefinition? _loadedFor;

    protected override void OnInitialized() => Routing.Published += OnPublished;

    /// <summary>Loads the list again whenever the draft changes (a model trained and saved into it is listed at once).</summary>
    protected override async Task OnParametersSetAsync()
    {
        if (!ReferenceEquals(_loadedFor, Definition))
        {
            _loadedFor = Definition;
            await LoadAsync();
        }
    }

    public async Task LoadAsync()
    {
        var stored = await Models.ListAsync();
        _rows = [.. stored.Select(Row), .. ShippedModels.Names.Select(n => ShippedModels.Find(n)).OfType<TrainedRouterModel>().Select(Row)];
        LoadUses();
    }

    private void LoadUses()
    {
        var snapshot = Routing.Current;
        _published = (snapshot.Classifier as ITrainedClassifier)?.Router.Model.Reference;
        _shadow = snapshot.Shadow?.Model;
    }

    private bool DraftUses(string reference) =>
        Definition.Classifier.Kind == ClassifierKind.Trained && Definition.Classifier.Trained?.Model == reference;

    private IEnumerable<string> Uses(string reference)
    {
        if (_published == reference)
        {
            yield return "published";
        }

        if (DraftUses(reference))
        {
            yield return "draft";
        }

        if (_shadow == reference)
        {
            yield return "shadow";
        }
    }

    private async Task UseInDraftAsync(TrainedModelRow row)
    {
        _busy = true;
        try
        {
            var trained = (Definition.Classifier.Trained ?? new TrainedClassifierDefinition()) with
            {
                Model = row.Reference,
                Policy = TrainedPolicy.QualityTarget,
                QualityTarget = row.QualityTarget,
            };
            var saved = await Save(Definition with { Classifier = Definition.Classifier with { Kind = ClassifierKind.Trained, Trained = trained } });
            _failed = !saved;
            _message = saved
                ? $"{row.Reference} is the draft's classifier at quality target {row.QualityTarget.ToString("0.00#", CultureInfo.InvariantCulture)}. Check the diff and publish to make it live."
                : $"The draft was not saved (see above); {row.Reference} is not in it.";
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task ShadowAsync(TrainedModelRow row)
    {
        _busy = true;
        try
        {
            var result = await Shadows.StartAsync(new ShadowSettings { Model = row.Reference, QualityTarget = row.QualityTarget }, await Access.ActorAsync(Policies.ManageRouting));
            _failed = !result.Done;
            _message = result.Done
                ? $"{row.Reference} is in shadow at quality target {row.QualityTarget.ToString("0.00#", CultureInfo.InvariantCulture)}: it decides beside the published router on live traffic, never served. The comparison is above."
                : result.Summary;
            LoadUses();
        }
        finally
        {
            _busy = false;
        }
    }

    private void OnPublished(RoutingSnapshot snapshot) => _ = InvokeAsync(() =>
    {
        LoadUses();
        StateHasChanged();
    });

    private static string Metric(double? value) => value?.ToString("0.000", CultureInfo.InvariantCulture) ?? "—";

    private static TrainedModelRow Row(StoredModelView view)
    {
        var summary = view.SummaryJson is null ? null : JsonSerializer.Deserialize<TrainingSummary>(view.SummaryJson, TrainedRouterModel.SerializerOptions);
        using var metrics = view.MetricsJson is null ? null : JsonDocument.Parse(view.MetricsJson);
        return Row(view.Reference, view.TrainedBy, view.TrainedAt, summary, metrics?.RootElement);
    }

    private static TrainedModelRow Row(TrainedRouterModel model) =>
        Row(model.Reference, "shipped with CostConsole", model.TrainedAt == default ? null : model.TrainedAt, model.Summary, model.Metrics);

    private static TrainedModelRow Row(string reference, string by, DateTimeOffset? at, TrainingSummary? summary, JsonElement? metrics)
    {
        var data = summary is null ? "—" : $"{summary.Examples:N0} examples from {summary.Source}";
        string auroc = "—";
        double? apgr = null, lift = null, target = null;
        if (metrics is { ValueKind: JsonValueKind.Object } m)
        {
            if (m.TryGetProperty("boundaries", out var boundaries) && boundaries.ValueKind == JsonValueKind.Array)
            {
                var parts = boundaries.EnumerateArray()
                    .Where(b => b.TryGetProperty("auroc", out var a) && a.ValueKind == JsonValueKind.Number)
                    .Select(b => $"{b.GetProperty("boundary").GetString()} {b.GetProperty("auroc").GetDouble().ToString("0.000", CultureInfo.InvariantCulture)}")
                    .ToList();
                auroc = parts.Count == 0 ? "—" : string.Join(", ", parts);
            }

            apgr = Number(m, "apgr");
            lift = Number(m, "liftOverRandom");
            target = Number(m, "qualityTarget");
        }

        return new TrainedModelRow(reference, by, at, data, auroc, apgr, lift, target ?? TrainedClassifierDefinition.DefaultQualityTarget);
    }

    private static double? Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    public void Dispose() => Routing.Published -= OnPublished;
}
