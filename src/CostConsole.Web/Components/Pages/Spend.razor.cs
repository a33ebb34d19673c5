using System.Globalization;
using CostConsole.Web.Components.Dashboard;
using CostConsole.Web.Metrics;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Pages;

/// <summary>
/// Spend ranked by key, team, end user, model or conversation for a range. The range, dimension and how many rows are shown
/// live in the address, so a view can be bookmarked and shared; an address that makes no sense shows why.
/// </summary>
public sealed partial class Spend
{
    private const int PageSize = 10;
    private static readonly RangeKind[] Ranges = [RangeKind.Day, RangeKind.Week, RangeKind.Month, RangeKind.Custom];

    private RangeKind _kind = RangeKind.Day;
    private SpendDimension _by = SpendDimension.Key;
    private int _top = PageSize;
    private DateTime? _customFrom;
    private DateTime? _customTo;
    private SpendRanking? _ranking;
    private string? _error;

    [Inject]
    private SpendReport Report { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    [SupplyParameterFromQuery(Name = "range")]
    public string? RangeText { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? FromText { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? ToText { get; set; }

    [SupplyParameterFromQuery(Name = "by")]
    public string? ByText { get; set; }

    [SupplyParameterFromQuery(Name = "top")]
    public int? Top { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        try
        {
            _kind = MetricsRange.ParseKind(RangeText);
            if (_kind == RangeKind.Live)
            {
                throw new MetricsInputException("The Spend page reads the ledger by range: use 24h, 7d, 30d or custom.");
            }

            _by = SpendReport.ParseDimension(ByText);
            _top = Math.Clamp(Top ?? PageSize, 1, SpendReport.MaxTop);
            var from = MetricsRange.ParseDate(FromText, "from");
            var to = MetricsRange.ParseDate(ToText, "to");
            if (_kind == RangeKind.Custom)
            {
                var today = Time.GetUtcNow().UtcDateTime.Date;
                _customFrom = from?.ToDateTime(TimeOnly.MinValue) ?? today.AddDays(-6);
                _customTo = to?.ToDateTime(TimeOnly.MinValue) ?? today;
                if (from is null || to is null)
                {
                    // Custom chosen, days not yet: the pickers are shown with a week filled in.
                    _ranking = null;
                    _error = null;
                    return;
                }
            }

            var range = MetricsRange.Create(_kind, Time.GetUtcNow(), from, to);
            _error = null;
            _ranking = await Report.RankAsync(_by, range, _top);
        }
        catch (MetricsInputException ex)
        {
            _ranking = null;
            _error = ex.Message;
        }
    }

    private void SelectRange(RangeKind kind)
    {
        if (kind == RangeKind.Custom)
        {
            _kind = kind;
            var today = Time.GetUtcNow().UtcDateTime.Date;
            _customFrom ??= today.AddDays(-6);
            _customTo ??= today;
            return;
        }

        Go(range: kind, top: PageSize);
    }

    private void ApplyCustom() => Go(range: RangeKind.Custom, top: PageSize, from: Day(_customFrom), to: Day(_customTo));

    private void Go(RangeKind? range = null, SpendDimension? by = null, int? top = null, string? from = null, string? to = null)
    {
        var kind = range ?? _kind;
        var custom = kind == RangeKind.Custom;
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["range"] = MetricsRange.Name(kind),
            ["by"] = SpendReport.Name(by ?? _by),
            ["top"] = (top ?? _top) == PageSize ? null : top ?? _top,
            ["from"] = custom ? from ?? Day(_customFrom) : null,
            ["to"] = custom ? to ?? Day(_customTo) : null,
        }));
    }

    private static string? Day(DateTime? value) => value?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string Change(double? change) => change is { } c ? Figures.Signed(c * 100, " %") : "—";

    private static string LengthName(MetricsRange range) => range.Kind switch
    {
        RangeKind.Day => "24 hours",
        RangeKind.Week => "7 days",
        RangeKind.Month => "30 days",
        _ => $"{Math.Round(range.Length.TotalDays, 1).ToString(CultureInfo.InvariantCulture)} days",
    };

    private static string RangeLabel(RangeKind kind) => kind switch
    {
        RangeKind.Day => "24 hours",
        RangeKind.Week => "7 days",
        RangeKind.Month => "30 days",
        _ => "Custom",
    };

    private static string DimensionLabel(SpendDimension by) => by switch
    {
        SpendDimension.Key => "Key",
        SpendDimension.Team => "Team",
        SpendDimension.User => "User",
        SpendDimension.Model => "Model",
        _ => "Conversation",
    };

    /// <summary>The explorer with the ranking's range and one team's requests, counted as here ("No team" included).</summary>
    private static string TeamRequestsUrl(SpendRanking ranking, string team)
    {
        var custom = ranking.Range.Kind == RangeKind.Custom;
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/requests", new Dictionary<string, string?>
        {
            ["range"] = MetricsRange.Name(ranking.Range.Kind),
            ["from"] = custom ? ExportFrom(ranking).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            ["to"] = custom ? ExportTo(ranking).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null,
            ["team"] = team,
        }.Where(p => p.Value is not null));
    }

    // The finance files cover whole UTC days: those the range touches, the last one included.
    private static DateOnly ExportFrom(SpendRanking ranking) => DateOnly.FromDateTime(ranking.Range.From.UtcDateTime);

    private static DateOnly ExportTo(SpendRanking ranking) => DateOnly.FromDateTime(ranking.Range.To.AddTicks(-1).UtcDateTime);
}
