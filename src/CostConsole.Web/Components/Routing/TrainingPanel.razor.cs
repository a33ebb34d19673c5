using System.Globalization;
using CostConsole.Routing.Rules;
using CostConsole.Training;
using CostConsole.Web.Access;
using CostConsole.Web.Components.Charts;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace CostConsole.Web.Components.Routing;

/// <summary>How the admin picks the operating point on the curve.</summary>
public enum OperatingChoice
{
    QualityTarget,
    MaxTopShare,
}

/// <summary>
/// Trains a router from a labelled file, shows its held-out metrics and cost–quality curve beside the published
/// router, lets the admin pick the operating point, and saves the model (as a new stored version) into the draft's
/// trained classifier. Training runs off the circuit's thread and stops when cancelled.
/// </summary>
public sealed partial class TrainingPanel : IDisposable
{
    private static readonly IReadOnlyList<double> Targets = RouterEvaluator.Targets;

    private bool _fromLedger;
    private byte[]? _file;
    private string? _fileName;
    private string? _tierModels;
    private string _name = "";
    private LabelledSet? _set;
    private string? _error;
    private bool _training;
    private double _progress;
    private CancellationTokenSource? _cancel;
    private RouterTrainingReport? _report;
    private int _reportVersion;
    private ApexChart? _chart;
    private OperatingChoice _choice = OperatingChoice.QualityTarget;
    private int _targetIndex;
    private int _maxTopPercent = 20;
    private bool _saving;
    private string? _saved;

    [Inject]
    private RouterTrainingService Training { get; set; } = null!;

    [Inject]
    private TrainedModelService Models { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    /// <summary>The draft whose classifier "Save into draft" sets.</summary>
    [Parameter, EditorRequired]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter, EditorRequired]
    public IReadOnlyList<string> Tiers { get; set; } = [];

    [Parameter]
    public bool Busy { get; set; }

    /// <summary>Saves the whole draft; false when it was refused (the page says why).</summary>
    [Parameter, EditorRequired]
    public Func<RuleSetDefinition, Task<bool>> Save { get; set; } = null!;

    private string TopTier => _report?.Evaluation.Tiers[^1] ?? Tiers.LastOrDefault() ?? "large";

    private ChartOptions CurveOptions => new()
    {
        Type = ChartType.Line,
        Format = ChartFormat.Percent,
        XAxis = ChartXAxis.Share,
        Height = 340,
        XLabel = "sent to " + TopTier,
        NoData = "Train to see the curve",
    };

    /// <summary>The chosen operating point: a point of the held-out curve.</summary>
    private RoutingPoint? Point
    {
        get
        {
            if (_report is null)
            {
                return null;
            }

            var evaluation = _report.Evaluation;
            var target = _choice == OperatingChoice.QualityTarget
                ? Targets[Math.Clamp(_targetIndex, 0, Targets.Count - 1)]
                : RouterEvaluator.TargetForTopShare(evaluation, _maxTopPercent / 100.0);
            return evaluation.Curve.FirstOrDefault(p => p.QualityTarget is { } t && Math.Abs(t - target) < 1e-9) ?? evaluation.Operating;
        }
    }

    private async Task UploadAsync(IBrowserFile? file)
    {
        _error = null;
        _saved = null;
        if (file is null)
        {
            // The file was taken away: nothing left to train on.
            _file = null;
            _fileName = null;
            _set = null;
            return;
        }

        if (file.Size > LabelledFile.MaxBytes)
        {
            _error = $"'{file.Name}' is {file.Size / 1024d / 1024d:0.#} MB; at most {LabelledFile.MaxBytes / 1024 / 1024} MB can be uploaded.";
            return;
        }

        using var buffer = new MemoryStream();
        await using (var stream = file.OpenReadStream(LabelledFile.MaxBytes))
        {
            await stream.CopyToAsync(buffer);
        }

        _file = buffer.ToArray();
        _fileName = file.Name;
        _report = null;
        if (_name.Length == 0)
        {
            _name = Path.GetFileNameWithoutExtension(file.Name);
        }

        Parse();
    }

    private void TierModelsChanged(string? value)
    {
        _tierModels = value;
        if (_file is not null)
        {
            Parse();
        }
    }

    /// <summary>Reads the whole file; a malformed one is refused with its line and reason, and nothing is kept of it.</summary>
    private bool Parse()
    {
        _error = null;
        _set = null;
        try
        {
            _set = Training.Read(new MemoryStream(_file!), _fileName!, _tierModels);
            return true;
        }
        catch (LabelledFileException ex)
        {
            _error = ex.Message;
            return false;
        }
    }

    private async Task TrainAsync()
    {
        _saved = null;
        if (_fromLedger ? _set is null : _file is null || !Parse())
        {
            return;
        }

        _training = true;
        _progress = 0;
        _report = null;
        _cancel = new CancellationTokenSource();
        var token = _cancel.Token;
        var set = _set!;
        var settings = new RouterTrainingSettings { Name = string.IsNullOrWhiteSpace(_name) ? "trained" : _name };
        var progress = new Progress<double>(done =>
        {
            _progress = done;
            _ = InvokeAsync(StateHasChanged);
        });
        try
        {
            // Training is seconds of CPU work: keep it off the circuit's thread.
            var report = await Task.Run(() => Training.Train(set, settings, progress, token), token);
            _report = report;
            _targetIndex = NearestTarget(report.QualityTarget);
            _reportVersion++;
        }
        catch (OperationCanceledException)
        {
            _error = "Training was cancelled; nothing was trained or stored.";
        }
        catch (LabelledFileException ex)
        {
            _error = ex.Message;
        }
        finally
        {
            _training = false;
            _cancel.Dispose();
            _cancel = null;
        }
    }

    private void Cancel() => _cancel?.Cancel();

    /// <summary>Switches between a labelled file and the ledger; what the other source gave is put aside.</summary>
    private void SourceChanged(bool fromLedger)
    {
        _fromLedger = fromLedger;
        _error = null;
        _saved = null;
        _report = null;
        _set = null;
        if (!fromLedger && _file is not null)
        {
            Parse();
        }
    }

    private void LedgerRead(LabelledSet? set)
    {
        _set = set;
        _report = null;
        _saved = null;
        if (set is not null && _name.Length == 0)
        {
            _name = "ledger";
        }
    }

    private Task TargetChangedAsync(int index)
    {
        _targetIndex = index;
        return RedrawAsync();
    }

    private Task MaxTopChangedAsync(int percent)
    {
        _maxTopPercent = Math.Clamp(percent, 0, 100);
        return RedrawAsync();
    }

    private Task ChoiceChangedAsync(OperatingChoice choice)
    {
        _choice = choice;
        if (choice == OperatingChoice.MaxTopShare && Point is { } point)
        {
            // Start from where the quality target left the share, so switching does not jump.
            _maxTopPercent = (int)Math.Ceiling(point.TopShare * 100);
        }

        return RedrawAsync();
    }

    private async Task RedrawAsync()
    {
        _saved = null;
        if (_chart is not null && _report is not null)
        {
            await _chart.UpdateSeriesAsync(Curve(_report, Point!));
        }
    }

    /// <summary>Stores the model as the next version of its name and makes it the draft's classifier at the chosen point.</summary>
    private async Task SaveIntoDraftAsync()
    {
        if (_report is null || Point?.QualityTarget is not { } target)
        {
            return;
        }

        _saving = true;
        _error = null;
        try
        {
            var actor = await Access.ActorAsync(Policies.ManageRouting);
            var stored = await Models.StoreAsync(_report.Model, actor);
            var trained = (Definition.Classifier.Trained ?? new TrainedClassifierDefinition()) with
            {
                Model = stored.Reference,
                QualityTarget = target,
                Policy = TrainedPolicy.QualityTarget,
            };
            var classifier = Definition.Classifier with { Kind = ClassifierKind.Trained, Trained = trained };
            _saved = await Save(Definition with { Classifier = classifier })
                ? $"Stored as {stored.Reference} and set as the draft's classifier with quality target {target.ToString("0.00#", CultureInfo.InvariantCulture)}. Check the diff and publish to make it live."
                : null;
            if (_saved is null)
            {
                _error = $"The model is stored as {stored.Reference}, but the draft was not saved (see above); name it under Classifier once the draft is fixed.";
            }
        }
        finally
        {
            _saving = false;
        }
    }

    /// <summary>The trained model's curve, the published model's curve when there is one, random routing, the published router and the chosen point.</summary>
    internal static IReadOnlyList<ChartSeries> Curve(RouterTrainingReport report, RoutingPoint point)
    {
        static ChartPoint At(double share, double quality) => new((long)Math.Round(share * 1000), quality);

        static IReadOnlyList<ChartPoint> Line(RouterEvaluation evaluation) =>
            [.. evaluation.Curve.OrderBy(p => p.TopShare).ThenBy(p => p.Quality).Select(p => At(p.TopShare, p.Quality))];

        // Drawn in this order, so this model's curve and the chosen point stay on top where curves coincide.
        var evaluation = report.Evaluation;
        var series = new List<ChartSeries>
        {
            new($"Random, all {evaluation.Tiers[0]} to all {evaluation.Tiers[^1]}", [At(0, evaluation.AllCheapestQuality), At(1, evaluation.AllTopQuality)]),
        };
        if (report.PublishedModelEvaluation is { } publishedModel)
        {
            series.Add(new ChartSeries($"Published model {report.PublishedModel}", Line(publishedModel)));
        }

        if (evaluation.Published is { } published)
        {
            series.Add(new ChartSeries("Published router", [At(published.TopShare, published.Quality)]));
        }

        series.Add(new ChartSeries("This model, every quality target", Line(evaluation)));
        series.Add(new ChartSeries("Chosen operating point", [At(point.TopShare, point.Quality)]));
        return series;
    }

    private static int NearestTarget(double target)
    {
        var best = 0;
        for (var i = 1; i < Targets.Count; i++)
        {
            if (Math.Abs(Targets[i] - target) < Math.Abs(Targets[best] - target))
            {
                best = i;
            }
        }

        return best;
    }

    private string Shares(RoutingPoint point) =>
        string.Join(" · ", point.Shares.Select((s, i) => $"{(_report?.Evaluation.Tiers ?? Tiers)[i]} {Percent(s)}"));

    internal static string Percent(double? value) => value is { } v ? (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "–";

    internal static string Number(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    public void Dispose() => _cancel?.Cancel();
}
