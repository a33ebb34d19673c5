using System.Globalization;
using CostConsole.Training;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Routing;

/// <summary>
/// Training data from the ledger for a date range: reads the labelled requests and shows what was found (per source,
/// per tier, what was skipped and why) before anything is trained.
/// </summary>
public sealed partial class LedgerSource
{
    private string _from = "";
    private string _to = "";
    private bool _reading;
    private string? _error;
    private LedgerTrainingSummary? _summary;

    [Inject]
    private LedgerTrainingData Ledger { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    [Parameter]
    public bool Disabled { get; set; }

    /// <summary>The set read from the ledger, or null when the range changed or nothing could be read.</summary>
    [Parameter]
    public EventCallback<LabelledSet?> Read { get; set; }

    protected override void OnInitialized()
    {
        var today = Time.GetUtcNow().UtcDateTime.Date;
        _from = Day(today.AddDays(-7));
        _to = Day(today);
    }

    private Task FromChanged(string value)
    {
        _from = value;
        return ClearAsync();
    }

    private Task ToChanged(string value)
    {
        _to = value;
        return ClearAsync();
    }

    private async Task ClearAsync()
    {
        _summary = null;
        _error = null;
        await Read.InvokeAsync(null);
    }

    private async Task ReadAsync()
    {
        _error = null;
        _summary = null;
        if (!TryDay(_from, out var from) || !TryDay(_to, out var to))
        {
            _error = "Give both dates as YYYY-MM-DD.";
            await Read.InvokeAsync(null);
            return;
        }

        _reading = true;
        try
        {
            // The end date is inclusive: read up to the start of the next day.
            var (set, summary) = await Ledger.ReadAsync(from, to.AddDays(1));
            _summary = summary;
            await Read.InvokeAsync(set);
        }
        catch (LabelledFileException ex)
        {
            _error = to < from ? $"The range {_from} to {_to} is empty; choose a start on or before its end." : ex.Message;
            await Read.InvokeAsync(null);
        }
        finally
        {
            _reading = false;
        }
    }

    internal static string SourceName(string source) => source switch
    {
        LedgerLabelSources.Feedback => "Outcome feedback (resolved, CSAT)",
        LedgerLabelSources.Escalation => "Escalations (failed and passed gates)",
        LedgerLabelSources.Judge => "Judge scores",
        LedgerLabelSources.Review => "Review queue",
        _ => source,
    };

    private static string Day(DateTime day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static bool TryDay(string text, out DateTimeOffset day)
    {
        var ok = DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed);
        day = ok ? new DateTimeOffset(parsed, TimeSpan.Zero) : default;
        return ok;
    }
}
