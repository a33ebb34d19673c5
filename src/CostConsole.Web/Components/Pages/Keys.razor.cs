using CostConsole.Web.Access;
using CostConsole.Web.Components.Keys;
using CostConsole.Web.Keys;
using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

public sealed partial class Keys
{
    private IReadOnlyList<KeyView>? _keys;
    private CreatedKey? _created;
    private string? _search;
    private bool _showRevoked;

    [Inject]
    private KeyService Service { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    [Inject]
    private IJSRuntime JS { get; set; } = null!;

    private IEnumerable<KeyView> Visible => (_keys ?? []).Where(k => string.IsNullOrWhiteSpace(_search)
        || k.Name.Contains(_search, StringComparison.OrdinalIgnoreCase)
        || (k.Team?.Contains(_search, StringComparison.OrdinalIgnoreCase) ?? false)
        || k.Prefix.Contains(_search, StringComparison.OrdinalIgnoreCase));

    private string? TeamStorage(string? team) => Service.TeamPromptStorage(team);

    protected override async Task OnInitializedAsync() => await LoadAsync();

    private async Task LoadAsync() => _keys = await Service.ListAsync(_showRevoked);

    private async Task ShowRevokedAsync(bool show)
    {
        _showRevoked = show;
        await LoadAsync();
    }

    private async Task CreateAsync()
    {
        var dialog = await Dialogs.ShowAsync<KeyDialog>("Create an API key", new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseOnEscapeKey = true });
        if (await dialog.Result is { Canceled: false, Data: CreatedKey created })
        {
            _created = created;
            await LoadAsync();
        }
    }

    private async Task EditAsync(KeyView key)
    {
        var parameters = new DialogParameters<KeyDialog> { { d => d.Existing, key } };
        var dialog = await Dialogs.ShowAsync<KeyDialog>($"Change '{key.Name}'", parameters, new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseOnEscapeKey = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add($"'{key.Name}' is changed; its next request uses the new limits.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task RevokeAsync(KeyView key)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Revoke key", $"Revoke '{key.Name}' ({key.Prefix}…)? Every request with it is refused from now on; this cannot be undone.", yesText: "Revoke", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        var revoked = await Service.RevokeAsync(key.Id, await Access.ActorAsync(Policies.ManageKeys));
        Snackbar.Add(revoked ? $"'{key.Name}' is revoked." : $"'{key.Name}' was already revoked.", revoked ? Severity.Success : Severity.Info);
        await LoadAsync();
    }

    private async Task CopyAsync()
    {
        await JS.InvokeVoidAsync("navigator.clipboard.writeText", _created!.Secret);
        Snackbar.Add("Copied.", Severity.Info);
    }

    private static string MayUse(KeyView key)
    {
        var parts = new List<string>();
        if (key.AllowedTiers.Count > 0)
        {
            parts.Add("tiers " + string.Join(", ", key.AllowedTiers));
        }

        if (key.AllowedModels.Count > 0)
        {
            parts.Add("models " + string.Join(", ", key.AllowedModels));
        }

        return parts.Count == 0 ? "everything" : string.Join("; ", parts);
    }

    private static string Rate(KeyView key) => (key.RequestsPerMinute, key.TokensPerMinute) switch
    {
        (null, null) => "none",
        ({ } r, null) => $"{r:N0} req/min",
        (null, { } t) => $"{t:N0} tokens/min",
        ({ } r, { } t) => $"{r:N0} req/min, {t:N0} tokens/min",
    };
}
