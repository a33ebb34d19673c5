using CostConsole.Web.Access;
using System.Globalization;
using CostConsole.Data.Catalogue.Import;
using CostConsole.Web.Catalogue;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace CostConsole.Web.Components.Catalogue;

public sealed partial class ImportPanel
{
    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    private PriceMap? _map;
    private string _source = "";
    private string? _target;
    private IReadOnlyCollection<string> _providers = [];
    private IReadOnlyCollection<string> _modes = ["chat"];
    private ImportPreview? _preview;
    private ImportStatus? _show;
    private string? _error;
    private bool _busy;
    private string _busyText = "";

    [Inject]
    private CatalogueService Catalogue { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    /// <summary>Our providers, the possible import targets.</summary>
    [Parameter]
    public IReadOnlyList<string> Providers { get; set; } = [];

    /// <summary>Raised after an import has been applied, so the page reloads the catalogue.</summary>
    [Parameter]
    public EventCallback Imported { get; set; }

    // An unpriced entry writes something only when it adds a model (disabled); an existing one is left alone.
    private bool HasChanges => _preview is not null && _preview.Lines.Any(l => l.Status is ImportStatus.New or ImportStatus.PriceChanged || (l.Status == ImportStatus.Unpriced && l.AddsModel));

    private IEnumerable<ImportLine> VisibleLines => _preview!.Lines.Where(l => _show is null || l.Status == _show);

    private async Task UseShippedAsync() => await LoadAsync(null, "The shipped copy");

    private async Task UploadAsync(IBrowserFile? file)
    {
        if (file is null)
        {
            return;
        }

        if (file.Size > CatalogueService.MaxPriceMapBytes)
        {
            _error = $"'{file.Name}' is {file.Size / 1024d / 1024d:0.#} MB; a price map can be at most {CatalogueService.MaxPriceMapBytes / 1024 / 1024} MB.";
            return;
        }

        // The browser stream is read fully first: parsing it in place would hold the circuit's upload channel open.
        using var buffer = new MemoryStream();
        await using (var upload = file.OpenReadStream(CatalogueService.MaxPriceMapBytes))
        {
            await upload.CopyToAsync(buffer);
        }

        buffer.Position = 0;
        await LoadAsync(buffer, $"'{file.Name}'");
    }

    private async Task LoadAsync(Stream? upload, string source)
    {
        _busy = true;
        _busyText = "Reading the price map…";
        _error = null;
        _map = null;
        _preview = null;
        try
        {
            _map = await Catalogue.ReadPriceMapAsync(upload);
            _source = source;
            _target ??= Providers.FirstOrDefault(p => p == "openai") ?? Providers.FirstOrDefault();
            _providers = _map.Providers.Any(p => p.Name == "openai") ? ["openai"] : [];
            _modes = _map.Modes.Any(m => m.Name == "chat") ? ["chat"] : [];
        }
        catch (PriceMapFormatException ex)
        {
            _error = $"{source} is not a LiteLLM price map, so nothing was imported. {ex.Message}";
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task PreviewAsync()
    {
        _busy = true;
        _busyText = "Comparing with the catalogue…";
        _error = null;
        try
        {
            _preview = await Catalogue.PreviewImportAsync(_map!, new ImportOptions
            {
                TargetProvider = _target!,
                Providers = [.. _providers],
                Modes = [.. _modes],
                Author = await Access.ActorAsync(Policies.ManageCatalogue),
            });
            _show = null;
        }
        catch (ArgumentException ex)
        {
            _error = ex.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task ApplyAsync()
    {
        var preview = _preview!;
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Apply import",
            $"Add {preview.CountOf(ImportStatus.New):N0} model(s), give {preview.CountOf(ImportStatus.PriceChanged):N0} a new price version from {preview.EffectiveFrom:yyyy-MM-dd HH:mm} UTC, and add {preview.CountOf(ImportStatus.Unpriced):N0} unpriced model(s) disabled, under '{preview.TargetProvider}'?",
            yesText: "Apply",
            cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        _busy = true;
        _busyText = "Importing…";
        try
        {
            await Access.ActorAsync(Policies.ManageCatalogue);
            var result = await Catalogue.ApplyImportAsync(preview);
            Snackbar.Add($"Imported: {result.Added:N0} added, {result.Repriced:N0} repriced, {result.Unpriced:N0} unpriced, {result.Unchanged:N0} unchanged.", Severity.Success);
            _preview = null;
            await Imported.InvokeAsync();
        }
        catch (InvalidOperationException ex)
        {
            _error = ex.Message;
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task ShowLicenseAsync() =>
        await Dialogs.ShowMessageBoxAsync("LiteLLM price map licence", LiteLlmPriceMap.ShippedLicense, yesText: "Close");

    private void Toggle(ImportStatus status) => _show = _show == status ? null : status;

    private static string StatusText(ImportStatus status) => status switch
    {
        ImportStatus.New => "new",
        ImportStatus.PriceChanged => "price changed",
        ImportStatus.Unchanged => "unchanged",
        _ => "no price in the map",
    };

    private static Color StatusColor(ImportStatus status) => status switch
    {
        ImportStatus.New => Color.Success,
        ImportStatus.PriceChanged => Color.Warning,
        ImportStatus.Unchanged => Color.Default,
        _ => Color.Error,
    };

    private static string Change(decimal? before, decimal? after)
    {
        static string Text(decimal? value) => value?.ToString("0.00####", CultureInfo.InvariantCulture) ?? "—";
        return before is null || before == after ? Text(after) : $"{Text(before)} → {Text(after)}";
    }
}
