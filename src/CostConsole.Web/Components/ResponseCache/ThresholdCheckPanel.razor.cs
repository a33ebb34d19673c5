using System.Globalization;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Embeddings;
using CostConsole.Web.Access;
using CostConsole.Web.Caching;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;

namespace CostConsole.Web.Components.ResponseCache;

public sealed partial class ThresholdCheckPanel
{
    private const long MaxBytes = 2 * 1024 * 1024;

    private IReadOnlyList<ThresholdPoint>? _curve;
    private string? _summary;
    private string? _error;
    private bool _busy;

    private const string DefaultTarget = "";

    private string _target = DefaultTarget;
    private Guid? _checkedStamp;
    private string? _chosen;
    private bool _chosenSaved;

    /// <summary>Whether the user may set a policy's threshold from the curve.</summary>
    [Parameter]
    public bool CanSet { get; set; }

    /// <summary>Raised after a threshold chosen on the curve is saved, so the page shows the new policy.</summary>
    [Parameter]
    public EventCallback Saved { get; set; }

    [Inject]
    private CachePolicies CachePolicies { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    private string? TargetRule => _target == DefaultTarget ? null : _target;

    /// <summary>The chosen policy's threshold, marked in the curve.</summary>
    private double TargetThreshold => CachePolicies.Settings.For(TargetRule).Threshold;

    /// <summary>
    /// Makes <paramref name="threshold"/> the chosen policy's, over the policies as they were when the check ran (or
    /// when the last choice was saved): a change saved meanwhile by someone else refuses it.
    /// </summary>
    private async Task ChooseAsync(double threshold)
    {
        _busy = true;
        try
        {
            var rule = TargetRule;
            var change = await CachePolicies.SetThresholdAsync(rule, threshold, _checkedStamp, await Access.ActorAsync(Policies.ManageRouting));
            _checkedStamp = CachePolicies.Stamp;
            _chosenSaved = change.Saved;
            _chosen = change.Saved
                ? string.Create(CultureInfo.InvariantCulture, $"{(rule is null ? "The default policy" : $"Rule {rule}")} now serves paraphrases at similarity {threshold:0.00} or more.")
                : change.Problem;
            if (change.Saved)
            {
                await Saved.InvokeAsync();
            }
        }
        finally
        {
            _busy = false;
        }
    }

    [Inject]
    private IServiceProvider Services { get; set; } = null!;

    private async Task UploadAsync(IBrowserFile? file)
    {
        if (file is null)
        {
            return;
        }

        _busy = true;
        _error = null;
        try
        {
            var (text, tooLarge) = await BrowserFiles.ReadTextAsync(file, MaxBytes);
            if (tooLarge is not null)
            {
                _error = tooLarge;
                return;
            }

            if (Services.GetService(typeof(IEmbedder)) is not IEmbedder embedder)
            {
                _error = "No embedder is configured, so there is no similarity to check.";
                return;
            }

            var pairs = ThresholdCheck.Parse(text!);
            var scored = await ThresholdCheck.ScoreAsync(pairs, embedder, CancellationToken.None);
            _curve = ThresholdCheck.Curve(scored);
            _checkedStamp = CachePolicies.Stamp;
            _chosen = null;
            var same = pairs.Count(p => p.SameAnswer);
            var refused = scored.Count(s => s.GateRefusal is not null);
            _summary = $"{pairs.Count:N0} pairs from {file.Name} ({same:N0} same answer, {pairs.Count - same:N0} different); the content gate refuses {refused:N0} whatever the threshold.";
        }
        catch (Exception ex) when (ex is LabelledPairException or EmbeddingException)
        {
            _curve = null;
            _summary = null;
            _error = ex.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private static string Rate(double? rate, (double Low, double High)? interval) =>
        rate is { } value && interval is { } i
            ? string.Create(CultureInfo.InvariantCulture, $"{value * 100:0.0}% ({i.Low * 100:0.0}–{i.High * 100:0.0}%)")
            : "—";
}
