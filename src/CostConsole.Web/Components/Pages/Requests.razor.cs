using System.Globalization;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Metrics;
using CostConsole.Web.Requests;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

/// <summary>The request explorer: server-side pages of the ledger, filters, and a drawer with one request's whole trace.</summary>
public sealed partial class Requests
{
    private const string DefaultPagerInfo = "{first_item}-{last_item} of {all_items}";

    private MudDataGrid<RequestSummary>? _grid;
    private MetricsChoices? _choices;
    private IReadOnlyDictionary<long, string> _keyNames = new Dictionary<long, string>();
    private RangeKind _kind = RangeKind.Day;
    private MetricsRange? _custom;
    private DateTime? _customFrom;
    private DateTime? _customTo;
    private string _key = "";
    private string _tier = "";
    private string _model = "";
    private string _rule = "";
    private string _status = "";
    private string _search = "";
    private string _text = "";
    private string? _error;
    private RequestSort _sort = RequestSort.Time;
    private bool _descending = true;
    private string _pagerInfo = DefaultPagerInfo;
    private bool _drawerOpen;
    private RequestDetail? _detail;

    [Inject]
    private RequestExplorer Explorer { get; set; } = null!;

    [Inject]
    private MetricsHistory History { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    /// <summary>A request id to open at once, e.g. from the playground or the review queue.</summary>
    [SupplyParameterFromQuery(Name = "id")]
    public string? OpenId { get; set; }

    protected override async Task OnInitializedAsync()
    {
        _choices = await History.ChoicesAsync();
        _keyNames = await Explorer.KeyNamesAsync();
        if (OpenId?.Trim() is { Length: > 0 } id)
        {
            _search = id;
            _detail = await Explorer.DetailAsync(id);
            _drawerOpen = _detail is not null;
            _error = _detail is null ? $"No request {id} in the ledger." : null;
        }
    }

    /// <summary>The query the grid's next page load uses: the filters as they are now.</summary>
    public RequestQuery Query(int page, int pageSize, RequestSort sort, bool descending)
    {
        var range = _kind == RangeKind.Custom && _custom is { } custom ? custom : MetricsRange.Create(_kind == RangeKind.Custom ? RangeKind.Day : _kind, Time.GetUtcNow());
        return new RequestQuery(
            range.From,
            range.To,
            long.TryParse(_key, NumberStyles.Integer, CultureInfo.InvariantCulture, out var key) ? key : null,
            Blank(_tier),
            Blank(_model),
            Blank(_rule),
            Enum.TryParse<LedgerStatus>(_status, out var status) ? status : null,
            Blank(_search.Trim()),
            sort,
            descending,
            page,
            pageSize,
            Blank(_text.Trim()));
    }

    private async Task<GridData<RequestSummary>> LoadAsync(GridState<RequestSummary> state, CancellationToken cancellationToken)
    {
        var order = state.SortDefinitions.FirstOrDefault();
        var sort = order?.SortBy switch
        {
            nameof(RequestSummary.Cost) => RequestSort.Cost,
            nameof(RequestSummary.LatencyMs) => RequestSort.Latency,
            _ => RequestSort.Time,
        };
        if ((_sort, _descending) != (sort, order?.Descending ?? true))
        {
            // The grid sorted: the export link follows its order.
            (_sort, _descending) = (sort, order?.Descending ?? true);
            StateHasChanged();
        }

        var page = await Explorer.PageAsync(Query(state.Page, state.PageSize, sort, _descending), cancellationToken);
        _pagerInfo = page.MoreThanTotal ? "{first_item}-{last_item} of more than {all_items} (narrow the filters to see further)" : DefaultPagerInfo;
        return new GridData<RequestSummary> { Items = page.Rows, TotalItems = page.Total };
    }

    private async Task SetRangeAsync(RangeKind kind)
    {
        _kind = kind;
        if (kind == RangeKind.Custom)
        {
            var today = Time.GetUtcNow().UtcDateTime.Date;
            _customFrom ??= today.AddDays(-6);
            _customTo ??= today;
            return;
        }

        _error = null;
        await ReloadAsync();
    }

    private async Task ApplyCustomAsync()
    {
        try
        {
            _custom = MetricsRange.Create(RangeKind.Custom, Time.GetUtcNow(), ToDate(_customFrom), ToDate(_customTo));
            _error = null;
            await ReloadAsync();
        }
        catch (MetricsInputException ex)
        {
            _error = ex.Message;
        }

        static DateOnly? ToDate(DateTime? value) => value is { } v ? DateOnly.FromDateTime(v) : null;
    }

    private async Task SetAsync(Action change)
    {
        change();
        _error = null;
        await ReloadAsync();
    }

    private async Task SetTextAsync(string? text)
    {
        _text = text ?? "";
        _error = RequestExplorer.CheckText(_text);
        await ReloadAsync();
    }

    private async Task ReloadAsync()
    {
        if (_grid is not null)
        {
            await _grid.ReloadServerData();
        }
    }

    private async Task OpenAsync(DataGridRowClickEventArgs<RequestSummary> click)
    {
        _detail = await Explorer.DetailAsync(click.Item.Id);
        _drawerOpen = _detail is not null;
    }

    /// <summary>The CSV of every request the filters match, in the grid's order; custom days not yet applied export the last 24 hours, as the grid shows.</summary>
    private string ExportUrl => RequestExportApi.Url(_kind == RangeKind.Custom && _custom is null ? RangeKind.Day : _kind, _custom, Query(0, 1, _sort, _descending));

    private string KeyName(long? id) => id is { } k ? _keyNames.GetValueOrDefault(k) ?? $"key {k}" : "no key";

    private static string? Blank(string value) => value.Length == 0 ? null : value;

    internal static Color StatusColor(LedgerStatus status) => status switch
    {
        LedgerStatus.Answered => Color.Success,
        LedgerStatus.Failed => Color.Error,
        _ => Color.Warning,
    };

    internal static string StatusText(RequestSummary row) => row.LedgerStatus switch
    {
        LedgerStatus.Answered => "answered",
        LedgerStatus.Failed => $"failed {row.HttpStatus}",
        _ => $"rejected {row.HttpStatus}",
    };
}
