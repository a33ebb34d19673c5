using CostConsole.Web.Views;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Web;
using MudBlazor;

namespace CostConsole.Web.Components.Views;

/// <summary>Saves the page's address (its path and filters) under a name the user gives, for the menu's saved views.</summary>
public sealed partial class SaveViewButton
{
    private bool _open;
    private bool _share;
    private bool _saving;
    private string? _name;
    private string? _error;
    private ViewUser? _user;

    [Inject]
    private SavedViewService Views { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    [Inject]
    private AuthenticationStateProvider Authentication { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    protected override async Task OnInitializedAsync() =>
        _user = ViewUsers.Of((await Authentication.GetAuthenticationStateAsync()).User);

    private void Open()
    {
        _open = !_open;
        _error = null;
    }

    private async Task OnKeyDownAsync(KeyboardEventArgs e)
    {
        if (e.Key == "Enter")
        {
            await SaveAsync();
        }
    }

    private async Task SaveAsync()
    {
        if (_user is null)
        {
            return;
        }

        _saving = true;
        try
        {
            var relative = "/" + Navigation.ToBaseRelativePath(Navigation.Uri);
            var at = relative.IndexOf('?', StringComparison.Ordinal);
            var (page, query) = at < 0 ? (relative, "") : (relative[..at], relative[at..]);
            var result = await Views.SaveAsync(_user, _name, page, query, _share);
            if (!result.Saved)
            {
                _error = result.Summary;
                return;
            }

            Snackbar.Add($"Saved the view '{_name!.Trim()}'. It is in the menu under Saved views.", Severity.Success);
            (_open, _name, _share, _error) = (false, null, false, null);
        }
        finally
        {
            _saving = false;
        }
    }
}
