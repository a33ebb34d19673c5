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
    private readonly HashSet<string> _picked = new(StringComparer.Ordinal);
    private bool _hideDeprecated = true;
    private bool _hideFineTunes = true;
    private string? _error;
    private bool _busy;
    private string _busyText = "";

    [Inject]
    private CatalogueService Catalogue { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    private DateOnly Today => DateOnly.FromDateTime(Time.GetUtcNow().UtcDateTime);

    /// <summary>Our providers, the possible import targets.</summary>
    [Parameter]
    public IReadOnlyList<string> Providers { get; set; } = [];

    /// <summary>Raised after an import has been applied, so the page reloads the catalogue.</summary>
    [Parameter]
    public EventCallback Imported { get; set; }

    // An unpriced entry writes something only when it adds a model (disabled); an existing one is left alone.
    private bool HasChanges => _preview is not null && _preview.Lines.Any(l => l.Writes);

    private IEnumerable<ImportLine> VisibleLines => _preview!.Lines.Where(l =>
        (_show is null || l.Status == _show)
        && !(_hideDeprecated && l.DeprecatedOn(Today))
        && !(_hideFineTunes && IsFineTune(l)));

    /// <summary>A fine-tuned model (LiteLLM keys them <c>ft:…</c>) belongs to one account; it is rarely what an import is for.</summary>
    private static bool IsFineTune(ImportLine line) => line.Key.StartsWith("ft:", StringComparison.OrdinalIgnoreCase);

    private void Pick(ImportLine line, bool on)
    {
        if (on && line.Writes)
        {
            _picked.Add(line.Key);
        }
        else
        {
            _picked.Remove(line.Key);
        }
    }

    /// <summary>Picks every row the filters show that would write something, manual prices included: the user asked for these rows.</summary>
    private void PickVisible()
    {
        foreach (var line in VisibleLines.Where(l => l.Writes))
        {
            _picked.Add(line.Key);
        }
    }

    private static string RowText(ImportLine line) => line.Status switch
    {
        ImportStatus.New => "adds model and price",
        ImportStatus.PriceChanged => "changes the price",
        ImportStatus.Unchanged => "leaves the price",
        _ when line.AddsModel => "adds model, unpriced",
        _ => "leaves it (no price in the map)",
    };

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
        if (string.IsNullOrEmpty(_target))
        {
            _error = "Choose the provider the imported models are called through; nothing was previewed.";
            return;
        }

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

            // Picked by default: what adds or changes a price, unless it is deprecated, a fine-tune, or would overwrite a price entered by hand.
            _picked.Clear();
            foreach (var line in _preview.Lines.Where(l => l.Writes && !(l.ManualPrice && l.Status == ImportStatus.PriceChanged) && !l.DeprecatedOn(Today) && !IsFineTune(l)))
            {
                _picked.Add(line.Key);
            }
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
        var all = _preview!;
        var preview = all with { Lines = [.. all.Lines.Where(l => l.Writes && _picked.Contains(l.Key))] };
        if (preview.Lines.Count == 0)
        {
            _error = "No row is picked, so nothing was imported. Tick the rows to import.";
            return;
        }

        var manual = preview.Lines.Count(l => l.ManualPrice && l.Status == ImportStatus.PriceChanged);
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Apply import",
            $"Add {preview.CountOf(ImportStatus.New):N0} model(s), give {preview.CountOf(ImportStatus.PriceChanged):N0} a new price version from {preview.EffectiveFrom:yyyy-MM-dd HH:mm} UTC, and add {preview.CountOf(ImportStatus.Unpriced):N0} unpriced model(s) disabled, under '{preview.TargetProvider}'?"
                + (manual > 0 ? $" {manual:N0} of them replace a price entered by hand." : "")
                + $" The {all.Lines.Count - preview.Lines.Count:N0} rows not picked are left as they are.",
            yesText: "Apply",
            cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        _busy = true;
        _busyText = "Importing…";
        _error = null;
        try
        {
            await Access.ActorAsync(Policies.ManageCatalogue);
            var result = await Catalogue.ApplyImportAsync(preview);
            Snackbar.Add($"Imported: {result.Added:N0} added, {result.Repriced:N0} repriced, {result.Unpriced:N0} unpriced.", Severity.Success);
            _preview = null;
            _picked.Clear();
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
