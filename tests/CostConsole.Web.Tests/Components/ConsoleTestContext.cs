using Bunit;
using Bunit.TestDoubles;
using CostConsole.Web.Access;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using MudBlazor.Services;

namespace CostConsole.Web.Tests.Components;

/// <summary>
/// bUnit with MudBlazor's services, loose JS interop, the catalogue over a real migrated database, and a signed-in
/// admin (every policy granted). A test of another role calls <see cref="SignInAs"/>.
/// </summary>
public abstract class ConsoleTestContext : BunitContext, IAsyncLifetime
{
    protected ConsoleTestContext()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
        Authorization = AddAuthorization();
        SignInAs(Roles.Admin);
        Services.AddScoped<ConsoleAccess>();
    }

    protected BunitAuthorizationContext Authorization { get; }

    /// <summary>Signs the test user in with <paramref name="role"/> and exactly the policies that role has.</summary>
    protected void SignInAs(string role)
    {
        Authorization.SetAuthorized(role.ToLowerInvariant() + "@test.local");
        Authorization.SetRoles(role);
        Authorization.SetPolicies([.. Policies.RolesFor.Where(p => p.Value.Contains(role)).Select(p => p.Key)]);
    }

    protected CatalogueDatabase Database { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Database = await CatalogueDatabase.CreateAsync();
        Services.AddSingleton(Database.Service);
    }

    protected override async ValueTask DisposeAsyncCore()
    {
        await base.DisposeAsyncCore();
        await Database.DisposeAsync();
    }

    /// <summary>Renders the dialog provider and opens <typeparamref name="TDialog"/> in it, as a page would.</summary>
    protected async Task<IRenderedComponent<MudDialogProvider>> OpenDialogAsync<TDialog>(DialogParameters<TDialog> parameters)
        where TDialog : Microsoft.AspNetCore.Components.ComponentBase
    {
        var provider = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var dialogs = Services.GetRequiredService<IDialogService>();
        await provider.InvokeAsync(() => dialogs.ShowAsync<TDialog>(null, parameters));
        return provider;
    }
}
