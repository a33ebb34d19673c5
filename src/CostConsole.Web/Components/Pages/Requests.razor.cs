using System.Globalization;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Metrics;
using CostConsole.Web.Requests;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

/// <summary>
/// The request explorer: pages of the ledger read on the server, filters, and a drawer with one request's whole trace. The
/// range, filters, order and page live in the address, so a view can be bookmarked, shared and saved; an address that
/// makes no sense says why and shows the last 24 hours.
/// </summary>
public sealed partial class Requests
{
    private static readonly int[] PageSizes = [25, 50, 100];

    private MetricsChoices? _choices;
    private IReadOnlyDictionary<long, string> _keyNames = new Dictionary<long, string>();
    private RangeKind _kind = RangeKind.Day;
    private MetricsRange? _custom;
    private DateTime? _customFrom;
    private DateTime? _customTo;
    private string _key = "";
    private string _team = "";
    private string _user = "";
    private string _conversation = "";
    private string _tier = "";
    private string _model = "";
    private string _rule = "";
    private string _status = "";
    private string _search = "";
    private string _text = "";
    private string? _error;
    private RequestSort _sort = RequestSort.Time;
    private bool _descending = true;
    private int _page;
    private int _size = PageSizes[0];
    private RequestPage? _rows;
    private bool _loading;
    private string? _opened;
    private bool _drawerOpen;
    private RequestDetail? _detail;

    [Inject]
    private RequestExplorer Explorer { get; set; } = null!;

    [Inject]
    private MetricsHistory History { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    /// <summary>A request id to open at once, e.g. from the playground or the review queue.</summary>
    [SupplyParameterFromQuery(Name = "id")]
    public string? OpenId { get; set; }

    [SupplyParameterFromQuery(Name = "range")]
    public string? RangeText { get; set; }

    [SupplyParameterFromQuery(Name = "from")]
    public string? FromText { get; set; }

    [SupplyParameterFromQuery(Name = "to")]
    public string? ToText { get; set; }

    [SupplyParameterFromQuery(Name = "key")]
    public string? KeyText { get; set; }

    [SupplyParameterFromQuery(Name = "team")]
    public string? TeamText { get; set; }

    [SupplyParameterFromQuery(Name = "user")]
    public string? UserText { get; set; }

    [SupplyParameterFromQuery(Name = "conversation")]
    public string? ConversationText { get; set; }

    [SupplyParameterFromQuery(Name = "tier")]
    public string? TierText { get; set; }

    [SupplyParameterFromQuery(Name = "model")]
    public string? ModelText { get; set; }

    [SupplyParameterFromQuery(Name = "rule")]
    public string? RuleText { get; set; }

    [SupplyParameterFromQuery(Name = "status")]
    public string? StatusText { get; set; }

    [SupplyParameterFromQuery(Name = "search")]
    public string? SearchText { get; set; }

    [SupplyParameterFromQuery(Name = "text")]
    public string? WordsText { get; set; }

    [SupplyParameterFromQuery(Name = "sort")]
    public string? SortText { get; set; }

    [SupplyParameterFromQuery(Name = "order")]
    public string? OrderText { get; set; }

    [SupplyParameterFromQuery(Name = "page")]
    public string? PageText { get; set; }

    [SupplyParameterFromQuery(Name = "size")]
    public string? SizeText { get; set; }

    private bool Searching => RequestExplorer.SearchWords(_text).Count > 0;

    protected override async Task OnInitializedAsync()
    {
        _choices = await History.ChoicesAsync();
        _keyNames = await Explorer.KeyNamesAsync();
    }

    /// <summary>Reads the range, filters, order and page from the address and loads that page.</summary>
    protected override async Task OnParametersSetAsync()
    {
        _error = null;
        try
        {
            ReadAddress();
        }
        catch (MetricsInputException ex)
        {
            (_kind, _custom, _key, _team, _user, _conversation, _tier, _model, _rule, _status, _search, _text) = (RangeKind.Day, null, "", "", "", "", "", "", "", "", "", "");
            (_sort, _descending, _page, _size) = (RequestSort.Time, true, 0, PageSizes[0]);
            _error = ex.Message;
        }

        if (OpenId?.Trim() is { Length: > 0 } id && id != _opened)
        {
            _opened = id;
            _search = SearchText is null ? id : _search;
            _detail = await Explorer.DetailAsync(id);
            _drawerOpen = _detail is not null;
            _error = _detail is null ? $"No request {id} in the ledger." : _error;
        }

        _error ??= RequestExplorer.CheckText(_text);
        await LoadAsync();
    }

    private void ReadAddress()
    {
        var now = Time.GetUtcNow();
        (_key, _team, _user, _conversation) = (Trimmed(KeyText), Trimmed(TeamText), Trimmed(UserText), Trimmed(ConversationText));
        (_tier, _model, _rule, _search, _text) = (Trimmed(TierText), Trimmed(ModelText), Trimmed(RuleText), Trimmed(SearchText), Trimmed(WordsText));
        if (_key.Length > 0 && !long.TryParse(_key, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            throw new MetricsInputException($"'{_key}' is not an API key id.");
        }

        // The address and the CSV export read the same parameters, the same way.
        var (query, range) = RequestExportApi.Parse(new Microsoft.AspNetCore.Http.QueryCollection(AddressParameters()), now);
        _status = query.Status?.ToString() ?? "";
        (_sort, _descending) = (query.Sort, query.Descending);
        var chosenDays = FromText is not null && ToText is not null;
        _kind = string.Equals(RangeText, "custom", StringComparison.OrdinalIgnoreCase) ? RangeKind.Custom : range.Kind;
        _custom = _kind == RangeKind.Custom && chosenDays ? range : null;
        if (_kind == RangeKind.Custom)
        {
            var today = now.UtcDateTime.Date;
            _customFrom = MetricsRange.ParseDate(FromText, "from")?.ToDateTime(TimeOnly.MinValue) ?? _customFrom ?? today.AddDays(-6);
            _customTo = MetricsRange.ParseDate(ToText, "to")?.ToDateTime(TimeOnly.MinValue) ?? _customTo ?? today;
        }

        _size = int.TryParse(SizeText, NumberStyles.None, CultureInfo.InvariantCulture, out var size) && PageSizes.Contains(size)
            ? size
            : string.IsNullOrEmpty(SizeText) ? PageSizes[0] : throw new MetricsInputException($"'{SizeText}' is not a page size. Use 25, 50 or 100.");
        _page = int.TryParse(PageText, NumberStyles.None, CultureInfo.InvariantCulture, out var page) && page >= 1
            ? page - 1
            : string.IsNullOrEmpty(PageText) ? 0 : throw new MetricsInputException($"'{PageText}' is not a page number: pages count from 1.");
    }

    private Dictionary<string, Microsoft.Extensions.Primitives.StringValues> AddressParameters()
    {
        var custom = string.Equals(RangeText, "custom", StringComparison.OrdinalIgnoreCase) && (FromText is null || ToText is null);
        return new()
        {
            // Custom chosen, days not yet: the last 24 hours are listed while the pickers wait.
            ["range"] = custom ? "24h" : RangeText ?? "24h",
            ["from"] = custom ? null : FromText,
            ["to"] = custom ? null : ToText,
            ["status"] = StatusText,
            ["text"] = RequestExplorer.CheckText(WordsText) is null ? WordsText : null,
            ["sort"] = SortText,
            ["order"] = OrderText,
        };
    }

    /// <summary>The query of the page shown: the filters as they are now.</summary>
    public RequestQuery Query() => Query(_page, _size, _sort, _descending);

    private RequestQuery Query(int page, int pageSize, RequestSort sort, bool descending)
    {
        var range = _kind == RangeKind.Custom && _custom is { } custom ? custom : MetricsRange.Create(_kind == RangeKind.Custom ? RangeKind.Day : _kind, Time.GetUtcNow());
        return new RequestQuery(
            range.From,
            range.To,
            long.TryParse(_key, NumberStyles.None, CultureInfo.InvariantCulture, out var key) ? key : null,
            Blank(_tier),
            Blank(_model),
            Blank(_rule),
            Enum.TryParse<LedgerStatus>(_status, out var status) ? status : null,
            Blank(_search),
            sort,
            descending,
            page,
            pageSize,
            Blank(_text),
            Blank(_team),
            Blank(_user),
            Blank(_conversation));
    }

    private async Task LoadAsync()
    {
        _loading = true;
        try
        {
            _rows = await Explorer.PageAsync(Query());
        }
        finally
        {
            _loading = false;
        }
    }

    /// <summary>Puts the filters as they are now in the address, from the first page; the page then reads them back and loads.</summary>
    private void Go(int page = 0, string? from = null, string? to = null)
    {
        var kind = _kind == RangeKind.Custom && _custom is null && from is null ? RangeKind.Day : _kind;
        var custom = kind == RangeKind.Custom;
        var parameters = new Dictionary<string, object?>
        {
            ["id"] = null,
            ["range"] = kind == RangeKind.Day ? null : MetricsRange.Name(kind),
            ["from"] = custom ? from ?? Day(_customFrom) : null,
            ["to"] = custom ? to ?? Day(_customTo) : null,
            ["page"] = page == 0 ? null : (page + 1).ToString(CultureInfo.InvariantCulture),
            ["size"] = _size == PageSizes[0] ? null : _size.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (name, value) in RequestExportApi.Parameters(Query(page, _size, _sort, _descending)))
        {
            parameters[name] = value;
        }

        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(parameters));
    }

    private void SetRange(RangeKind kind)
    {
        _kind = kind;
        if (kind == RangeKind.Custom)
        {
            var today = Time.GetUtcNow().UtcDateTime.Date;
            _customFrom ??= today.AddDays(-6);
            _customTo ??= today;
            return;
        }

        _custom = null;
        Go();
    }

    private void ApplyCustom()
    {
        try
        {
            // A range that makes no sense is refused here, and the list stays as it was.
            MetricsRange.Create(RangeKind.Custom, Time.GetUtcNow(), ToDate(_customFrom), ToDate(_customTo));
        }
        catch (MetricsInputException ex)
        {
            _error = ex.Message;
            return;
        }

        Go(from: Day(_customFrom), to: Day(_customTo));

        static DateOnly? ToDate(DateTime? value) => value is { } v ? DateOnly.FromDateTime(v) : null;
    }

    private void Set(Action change)
    {
        change();
        Go();
    }

    /// <summary>New words are ordered by relevance unless another order was chosen; without words, relevance falls back to time.</summary>
    private void SetText(string? text)
    {
        var wasDefault = _sort == RequestQuery.DefaultSort(_text);
        _text = text?.Trim() ?? "";
        if (wasDefault || (_sort == RequestSort.Relevance && !Searching))
        {
            _sort = RequestQuery.DefaultSort(_text);
        }

        Go();
    }

    private void SetOrder(string order)
    {
        var at = order.IndexOf(' ', StringComparison.Ordinal);
        (_sort, _descending) = (Enum.Parse<RequestSort>(order[..at]), order[(at + 1)..] == "desc");
        Go();
    }

    private void SetSize(int size)
    {
        _size = size;
        Go();
    }

    private async Task OpenAsync(TableRowClickEventArgs<RequestSummary> click)
    {
        if (click.Item is null)
        {
            return;
        }

        _detail = await Explorer.DetailAsync(click.Item.Id);
        _drawerOpen = _detail is not null;
    }

    /// <summary>
    /// What a column's header cell tells a screen reader about the list's order (WAI-ARIA <c>aria-sort</c>): ascending or
    /// descending on the column the list is ordered by, none on the other columns it can be ordered by.
    /// </summary>
    private string AriaSort(params RequestSort[] column) =>
        !column.Contains(_sort) ? "none" : _descending ? "descending" : "ascending";

    private string Order => $"{_sort} {(_descending ? "desc" : "asc")}";

    /// <summary>The orders offered; relevance only while words are searched.</summary>
    private IEnumerable<(string Value, string Label)> Orders()
    {
        if (Searching)
        {
            yield return ("Relevance desc", "Best match first");
        }

        yield return ("Time desc", "Newest first");
        yield return ("Time asc", "Oldest first");
        yield return ("Cost desc", "Highest cost first");
        yield return ("Cost asc", "Lowest cost first");
        yield return ("Baseline desc", "Highest baseline first");
        yield return ("Baseline asc", "Lowest baseline first");
        yield return ("Latency desc", "Slowest first");
        yield return ("Latency asc", "Fastest first");
        yield return ("Tokens desc", "Most tokens first");
        yield return ("Tokens asc", "Fewest tokens first");
    }

    /// <summary>A column title pressed: that column's order, highest (or newest) first; pressed again, the other way.</summary>
    private void SortBy(RequestSort sort)
    {
        (_sort, _descending) = _sort == sort ? (sort, !_descending) : (sort, true);
        Go();
    }

    private int TotalPages => _rows is null ? 1 : Math.Max(1, (int)Math.Ceiling(_rows.Total / (double)_size));

    private string PagerInfo => _rows switch
    {
        null or { Total: 0 } => "",
        { Rows.Count: 0 } rows => $"Page {_page + 1:N0} is past the last of these {rows.Total:N0} requests.",
        { } rows => $"{_page * _size + 1:N0}–{_page * _size + rows.Rows.Count:N0} of {(rows.MoreThanTotal ? "more than " : "")}{rows.Total:N0}"
            + (rows.MoreThanTotal && _page + 1 >= TotalPages ? " (narrow the filters to see further)" : ""),
    };

    /// <summary>The CSV of every request the filters match, in the list's order; custom days not yet applied export the last 24 hours, as the list shows.</summary>
    private string ExportUrl => RequestExportApi.Url(_kind == RangeKind.Custom && _custom is null ? RangeKind.Day : _kind, _custom, Query());

    private string KeyName(long? id) => id is { } k ? _keyNames.GetValueOrDefault(k) ?? $"key {k}" : "no key";

    private static string Trimmed(string? value) => value?.Trim() ?? "";

    private static string? Blank(string value) => value.Length == 0 ? null : value;

    private static string? Day(DateTime? value) => value?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static Color StatusColor(LedgerStatus status) => status switch
    {
        LedgerStatus.Answered => Color.Success,
        LedgerStatus.Failed => Color.Error,
        _ => Color.Warning,
    };

    internal static string StatusLabel(RequestSummary row) => row.LedgerStatus switch
    {
        LedgerStatus.Answered => "answered",
        LedgerStatus.Failed => $"failed {row.HttpStatus}",
        _ => $"rejected {row.HttpStatus}",
    };
}
