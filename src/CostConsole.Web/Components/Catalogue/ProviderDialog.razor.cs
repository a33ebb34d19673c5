using CostConsole.Web.Access;
using CostConsole.Routing.Providers;
using CostConsole.Web.Catalogue;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Catalogue;

public sealed partial class ProviderDialog
{
    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    private readonly Func<object, string, Task<IEnumerable<string>>> _validate = new ProviderFormValidator().ForMudForm();
    private MudForm _form = null!;
    private ProbeResult? _probe;
    private CatalogueResult? _result;
    private bool _busy;

    [CascadingParameter]
    private IMudDialogInstance MudDialog { get; set; } = null!;

    [Inject]
    private CatalogueService Catalogue { get; set; } = null!;

    [Parameter]
    public ProviderForm Form { get; set; } = new();

    /// <summary>Whether a key is stored; the key itself never comes back to the browser.</summary>
    [Parameter]
    public bool HasStoredKey { get; set; }

    [Parameter]
    public string? Original { get; set; }

    private string KeyHelp => HasStoredKey
        ? "A key is set. It is never shown again; type a new one to replace it, or leave empty to keep it."
        : "Not set. Stored protected, and never shown again once saved.";

    private bool SpeaksAnthropic => Form.Protocol == CostConsole.Routing.Catalogue.ProviderProtocols.Anthropic;

    private string NativeHelp => SpeaksAnthropic
        ? "Messages requests routed here go as they came (only the model is set); Responses requests are translated unless ticked."
        : "Chat completions always go as they came. Tick an API the provider serves itself: its requests are passed through with only the model set, instead of translated to chat completions.";

    private async Task TestAsync()
    {
        _busy = true;
        _probe = null;
        try
        {
            _probe = await Catalogue.TestConnectionAsync(Form);
        }
        finally
        {
            _busy = false;
        }
    }

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
            await Access.ActorAsync(Policies.ManageCatalogue);
            _result = await Catalogue.SaveProviderAsync(Form);
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
