using System.Globalization;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Embeddings;
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

    /// <summary>The default policy's threshold, marked in the curve.</summary>
    [Parameter]
    public double Threshold { get; set; }

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
