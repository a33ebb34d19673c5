using CostConsole.Routing.Pipeline;
using CostConsole.Web.Components.Charts;
using CostConsole.Web.Requests;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Pages;

/// <summary>One conversation's turns in order, with their cost against the baseline and a chart of cost per turn; the page number lives in the address.</summary>
public sealed partial class Conversation
{
    /// <summary>Turns per page: a runaway conversation of thousands of turns is read a page at a time.</summary>
    public const int PageSize = 50;

    private static readonly ChartOptions ChartOptions = new()
    {
        Type = ChartType.Line,
        Format = ChartFormat.Usd,
        XAxis = ChartXAxis.Turn,
        Height = 240,
        XTitle = "Turn",
        YTitle = "USD",
        Colors = ["#1e88e5", "#9e9e9e"],
        NoData = "No turns",
    };

    private ConversationPage? _page;
    private IReadOnlyDictionary<long, string> _keyNames = new Dictionary<long, string>();
    private bool _loading = true;
    private bool _drawerOpen;
    private RequestDetail? _detail;

    [Inject]
    private ConversationView View { get; set; } = null!;

    [Inject]
    private RequestExplorer Explorer { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    [Parameter]
    public string ConversationId { get; set; } = "";

    /// <summary>The page of turns, from 1.</summary>
    [SupplyParameterFromQuery(Name = "page")]
    public int? PageNumber { get; set; }

    protected override async Task OnParametersSetAsync()
    {
        _loading = true;
        _keyNames = await Explorer.KeyNamesAsync();
        _page = await View.PageAsync(ConversationId, Math.Max((PageNumber ?? 1) - 1, 0), PageSize);
        _loading = false;
    }

    private static IReadOnlyList<ChartSeries> ChartSeriesOf(ConversationPage page) =>
    [
        new("Cost", [.. page.Turns.Select(t => new ChartPoint(t.Number, (double)t.Cost))]),
        new("Baseline", [.. page.Turns.Select(t => new ChartPoint(t.Number, (double)t.Baseline))]),
    ];

    private void GoToPage(int page) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameter("page", page == 1 ? null : page));

    private async Task OpenAsync(ConversationTurn turn)
    {
        _detail = await Explorer.DetailAsync(turn.Id);
        _drawerOpen = _detail is not null;
    }

    private string KeyName(long id) => _keyNames.GetValueOrDefault(id) ?? $"key {id}";

    private static string StatusText(ConversationTurn turn) => turn.LedgerStatus switch
    {
        LedgerStatus.Answered => "answered",
        LedgerStatus.Failed => $"failed {turn.HttpStatus}",
        _ => $"rejected {turn.HttpStatus}",
    };
}
