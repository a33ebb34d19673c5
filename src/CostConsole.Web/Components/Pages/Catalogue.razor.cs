using CostConsole.Web.Access;
using CostConsole.Routing.Catalogue;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Components.Catalogue;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

public sealed partial class Catalogue
{
    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    private static readonly DialogOptions Wide = new() { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseOnEscapeKey = true };

    private IReadOnlyList<ModelView>? _models;
    private IReadOnlyList<ProviderView>? _providers;
    private IReadOnlyList<string> _tiers = [];
    private string _search = "";

    [Inject]
    private CatalogueService Service { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    private bool _canEdit;

    protected override async Task OnInitializedAsync()
    {
        _canEdit = await Access.CanAsync(Policies.ManageCatalogue);
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _tiers = await Service.TiersAsync();
        _providers = await Service.ProvidersAsync();
        _models = await Service.ModelsAsync();
    }

    private bool Matches(ModelView model) =>
        string.IsNullOrWhiteSpace(_search)
        || model.ModelId.Contains(_search, StringComparison.OrdinalIgnoreCase)
        || model.DisplayName.Contains(_search, StringComparison.OrdinalIgnoreCase)
        || model.Provider.Contains(_search, StringComparison.OrdinalIgnoreCase)
        || model.Tier.Equals(_search, StringComparison.OrdinalIgnoreCase);

    internal static string Tokens(long? tokens) => tokens switch
    {
        null => "—",
        >= 1_000_000 => (tokens.Value / 1_000_000d).ToString("0.##", System.Globalization.CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (tokens.Value / 1_000d).ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "K",
        _ => tokens.Value.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    internal static IEnumerable<string> CapabilityNames(ModelCapabilities capabilities)
    {
        if (capabilities.HasFlag(ModelCapabilities.Tools))
        {
            yield return "tools";
        }

        if (capabilities.HasFlag(ModelCapabilities.Vision))
        {
            yield return "vision";
        }

        if (capabilities.HasFlag(ModelCapabilities.JsonSchema))
        {
            yield return "json";
        }

        if (capabilities.HasFlag(ModelCapabilities.Logprobs))
        {
            yield return "logprobs";
        }
    }

    private async Task AddModelAsync()
    {
        var form = new ModelForm { Provider = _providers!.First().Name, Tier = _tiers.FirstOrDefault() ?? "", InitialPrice = new PriceForm() };
        await ShowModelDialogAsync(form, "Model added.");
    }

    private async Task EditModelAsync(ModelView model)
    {
        var form = new ModelForm
        {
            Id = model.Id,
            Provider = model.Provider,
            ModelId = model.ModelId,
            DisplayName = model.DisplayName,
            Tier = model.Tier,
            ContextWindow = model.ContextWindow,
            Tools = model.Capabilities.HasFlag(ModelCapabilities.Tools),
            Vision = model.Capabilities.HasFlag(ModelCapabilities.Vision),
            JsonSchema = model.Capabilities.HasFlag(ModelCapabilities.JsonSchema),
            Logprobs = model.Capabilities.HasFlag(ModelCapabilities.Logprobs),
            Enabled = model.Enabled,
            Kind = model.Kind,
            ConcurrencyStamp = model.ConcurrencyStamp,
        };
        await ShowModelDialogAsync(form, "Model saved.");
    }

    private async Task ShowModelDialogAsync(ModelForm form, string done)
    {
        var parameters = new DialogParameters<ModelDialog>
        {
            { d => d.Form, form },
            { d => d.Providers, _providers!.Select(p => p.Name).ToList() },
            { d => d.Tiers, _tiers },
        };
        var dialog = await Dialogs.ShowAsync<ModelDialog>(null, parameters, Wide);
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add(done, Severity.Success);
            await LoadAsync();
        }
    }

    private async Task PricesAsync(ModelView model)
    {
        var parameters = new DialogParameters<PriceDialog> { { d => d.ModelId, model.Id }, { d => d.ModelName, model.ModelId } };
        var dialog = await Dialogs.ShowAsync<PriceDialog>(null, parameters, Wide);
        if (await dialog.Result is { Canceled: false, Data: true })
        {
            await LoadAsync();
        }
    }

    private static string ProtocolLabel(string protocol) =>
        CostConsole.Routing.Catalogue.ProviderProtocols.TryParse(protocol, out var parsed) ? CostConsole.Routing.Catalogue.ProviderProtocols.Label(parsed) : protocol;

    private async Task AddProviderAsync() => await ShowProviderDialogAsync(new ProviderForm(), false, null, "Provider added.");

    private async Task EditProviderAsync(ProviderView provider)
    {
        var form = new ProviderForm
        {
            Id = provider.Id,
            Name = provider.Name,
            BaseUrl = provider.BaseUrl,
            TimeoutSeconds = provider.TimeoutSeconds,
            MaxRetries = provider.MaxRetries,
            CircuitBreakSeconds = provider.CircuitBreakSeconds,
            MayReceivePersonalData = provider.MayReceivePersonalData,
            HasBatchApi = provider.HasBatchApi,
            Protocol = provider.Protocol,
            SpeaksResponses = provider.Native.HasFlag(CostConsole.Routing.Catalogue.NativeApis.Responses),
            SpeaksMessages = provider.Native.HasFlag(CostConsole.Routing.Catalogue.NativeApis.Messages),
            ConcurrencyStamp = provider.ConcurrencyStamp,
        };
        await ShowProviderDialogAsync(form, provider.HasApiKey, provider.Name, "Provider saved.");
    }

    private async Task ShowProviderDialogAsync(ProviderForm form, bool hasKey, string? original, string done)
    {
        var parameters = new DialogParameters<ProviderDialog>
        {
            { d => d.Form, form },
            { d => d.HasStoredKey, hasKey },
            { d => d.Original, original },
        };
        var dialog = await Dialogs.ShowAsync<ProviderDialog>(null, parameters, Wide);
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add(done, Severity.Success);
            await LoadAsync();
        }
    }

    private async Task DeleteProviderAsync(ProviderView provider)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Delete provider",
            $"Delete '{provider.Name}' ({provider.BaseUrl})? Its stored API key is deleted with it.",
            yesText: "Delete",
            cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        await Access.ActorAsync(Policies.ManageCatalogue);
        var result = await Service.DeleteProviderAsync(provider.Id, provider.ConcurrencyStamp);
        Snackbar.Add(result.Saved ? "Provider deleted." : result.Summary, result.Saved ? Severity.Success : Severity.Error);
        await LoadAsync();
    }
}
