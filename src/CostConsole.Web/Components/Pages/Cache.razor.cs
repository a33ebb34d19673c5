using System.Globalization;
using CostConsole.Web.Access;
using CostConsole.Web.Caching;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

public sealed partial class Cache
{
    private IReadOnlyList<CacheEntryView> _entries = [];
    private IReadOnlyList<string> _namespaces = [];
    private CacheFigures? _figures;
    private CostConsole.Routing.Caching.CacheBreakEven? _breakEven;
    private string? _search;
    private string? _namespace;
    private bool _enabled;
    private bool _configured;

    [Inject]
    private CacheService Service { get; set; } = null!;

    /// <summary>An entry to show, as the request trace links to it: the search starts with its id.</summary>
    [SupplyParameterFromQuery(Name = "entry")]
    public string? Entry { get; set; }

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    private IEnumerable<CacheEntryView> Visible => string.IsNullOrWhiteSpace(_search) ? _entries : Service.Entries(_search);

    protected override async Task OnInitializedAsync()
    {
        _configured = Service.ConfiguredEnabled;
        _search = string.IsNullOrWhiteSpace(Entry) ? null : Entry.Trim();
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _enabled = Service.Enabled;
        _entries = Service.Entries();
        _namespaces = Service.Namespaces();
        if (_namespace is not null && !_namespaces.Contains(_namespace))
        {
            _namespace = null;
        }

        _figures = await Service.FiguresAsync(Time.GetUtcNow().AddDays(-7));
        _breakEven = Service.BreakEven(_figures);
    }

    private async Task SetEnabledAsync(bool enabled)
    {
        await Service.SetEnabledAsync(enabled, await Access.ActorAsync(Policies.ManageRouting));
        Snackbar.Add(enabled ? "The cache is on: complete answers are stored and served again." : "The cache is off: every request goes to a model.", Severity.Success);
        await LoadAsync();
    }

    private async Task PurgeAsync(CacheEntryView entry)
    {
        var purged = await Service.PurgeAsync(entry.Id, await Access.ActorAsync(Policies.ManageRouting));
        Snackbar.Add(purged > 0 ? $"Purged the entry for \"{Clip(entry.Prompt, 60)}\"." : "That entry was already gone.", purged > 0 ? Severity.Success : Severity.Info);
        await LoadAsync();
    }

    private async Task PurgeNamespaceAsync()
    {
        var name = _namespace!;
        if (await Dialogs.ShowMessageBoxAsync("Purge namespace", $"Remove every entry of {name}? Its next requests go to a model again.", yesText: "Purge", cancelText: "Cancel") != true)
        {
            return;
        }

        var purged = await Service.PurgeNamespaceAsync(name, await Access.ActorAsync(Policies.ManageRouting));
        Snackbar.Add($"Purged {purged:N0} entries of {name}.", Severity.Success);
        await LoadAsync();
    }

    private async Task PurgeAllAsync()
    {
        if (await Dialogs.ShowMessageBoxAsync("Purge all", $"Remove all {_entries.Count:N0} entries? Every request goes to a model until answers are stored again.", yesText: "Purge all", cancelText: "Cancel") != true)
        {
            return;
        }

        var purged = await Service.PurgeAllAsync(await Access.ActorAsync(Policies.ManageRouting));
        Snackbar.Add($"Purged {purged:N0} entries.", Severity.Success);
        await LoadAsync();
    }

    private string Age(DateTimeOffset created)
    {
        var age = Time.GetUtcNow() - created;
        return age.TotalMinutes < 1 ? "just now"
            : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min"
            : age.TotalDays < 1 ? $"{(int)age.TotalHours} h"
            : $"{(int)age.TotalDays} d";
    }

    private static string Usd(decimal value) => value < 0.01m && value > 0 ? "$" + value.ToString("0.######", CultureInfo.InvariantCulture) : value.ToString("$#,##0.00", CultureInfo.InvariantCulture);

    private static string Ms(TimeSpan span) => span.TotalMilliseconds.ToString(span.TotalMilliseconds < 10 ? "0.00" : "#,##0", CultureInfo.InvariantCulture) + " ms";

    private static string Percent(double rate) => (rate * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    private static string Clip(string text, int length) => text.Length <= length ? text : text[..length] + "…";
}
