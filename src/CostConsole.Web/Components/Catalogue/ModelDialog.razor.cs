using CostConsole.Web.Access;
using CostConsole.Web.Catalogue;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Catalogue;

public sealed partial class ModelDialog
{
    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    private readonly Func<object, string, Task<IEnumerable<string>>> _validate = new ModelFormValidator().ForMudForm();
    private MudForm _form = null!;
    private CatalogueResult? _result;
    private bool _busy;

    [CascadingParameter]
    private IMudDialogInstance MudDialog { get; set; } = null!;

    [Inject]
    private CatalogueService Catalogue { get; set; } = null!;

    [Parameter]
    public ModelForm Form { get; set; } = new();

    [Parameter]
    public IReadOnlyList<string> Providers { get; set; } = [];

    [Parameter]
    public IReadOnlyList<string> Tiers { get; set; } = [];

    private static readonly PriceFormValidator PriceValidator = new();

    private static Func<decimal?, Task<IEnumerable<string>>> PriceRule(PriceForm price, string property) => PriceValidator.ForField<PriceForm, decimal?>(price, property);

    private async Task SaveAsync()
    {
        await _form.ValidateAsync();
        if (!_form.IsValid)
        {
            return;
        }

        _busy = true;
        try
        {
            _result = await Catalogue.SaveModelAsync(Form, await Access.ActorAsync(Policies.ManageCatalogue));
            if (_result.Saved)
            {
                MudDialog.Close(DialogResult.Ok(_result.Id));
            }
        }
        finally
        {
            _busy = false;
        }
    }
}
