using CostConsole.Web.Access;
using CostConsole.Web.Catalogue;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Catalogue;

public sealed partial class PriceDialog
{
    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    private readonly Func<object, string, Task<IEnumerable<string>>> _validate = new PriceFormValidator().ForMudForm();
    private MudForm _form = null!;
    private PriceForm _price = new();
    private IReadOnlyList<PriceVersionView>? _history;
    private CatalogueResult? _result;
    private bool _now = true;
    private DateTime? _date = DateTime.UtcNow.Date.AddDays(1);
    private TimeSpan? _time = TimeSpan.Zero;
    private bool _busy;
    private bool _changed;

    [CascadingParameter]
    private IMudDialogInstance MudDialog { get; set; } = null!;

    [Inject]
    private CatalogueService Catalogue { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    [Parameter]
    public long ModelId { get; set; }

    [Parameter]
    public string ModelName { get; set; } = "";

    protected override async Task OnInitializedAsync()
    {
        _history = await Catalogue.PriceHistoryAsync(ModelId);
        if (_history.FirstOrDefault(v => v.InForce) is { } current)
        {
            // Start from the price in force: most changes touch one number.
            _price = new PriceForm
            {
                InputPerMillion = current.InputPerMillion,
                CachedInputPerMillion = current.CachedInputPerMillion,
                CacheWritePerMillion = current.CacheWritePerMillion,
                OutputPerMillion = current.OutputPerMillion,
                BatchDiscount = current.BatchDiscount,
            };
        }
    }

    private async Task AddAsync()
    {
        await _form.ValidateAsync();
        if (!_form.IsValid)
        {
            return;
        }

        _price.ModelId = ModelId;
        _price.EffectiveFrom = _now || _date is null
            ? null
            : new DateTimeOffset(DateTime.SpecifyKind(_date.Value.Date + (_time ?? TimeSpan.Zero), DateTimeKind.Utc));
        _busy = true;
        try
        {
            _result = await Catalogue.AddPriceAsync(_price, await Access.ActorAsync(Policies.ManageCatalogue));
            if (_result.Saved)
            {
                _changed = true;
                Snackbar.Add("Price version added.", Severity.Success);
                _history = await Catalogue.PriceHistoryAsync(ModelId);
                _price.Note = null;
            }
        }
        finally
        {
            _busy = false;
        }
    }
}
