using Bunit;
using CostConsole.Web.Access;
using CostConsole.Web.Components.Layout;
using CostConsole.Web.Components.Views;
using CostConsole.Web.Views;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using SavedViewsPage = CostConsole.Web.Components.Pages.SavedViews;

namespace CostConsole.Web.Tests.Components;

public sealed class SavedViewComponentTests : ConsoleTestContext
{
    private const string Address = "/spend?range=custom&from=2026-11-10&to=2026-11-11&by=team";

    private SavedViewService Views => Services.GetRequiredService<SavedViewService>();

    private static ViewUser Admin => new("admin@test.local", Roles.Admin);

    private IRenderedComponent<SaveViewButton> RenderButtonAt(string address)
    {
        Services.AddSingleton(_ => new SavedViewService(Database.Factory, TimeProvider.System));
        Services.GetRequiredService<NavigationManager>().NavigateTo(address);
        Render<MudPopoverProvider>();
        Render<MudSnackbarProvider>();
        return Render<SaveViewButton>();
    }

    [Fact]
    public async Task Saving_the_current_view_puts_it_in_the_menu_with_the_pages_exact_address()
    {
        var button = RenderButtonAt(Address);
        var menu = Render<SavedViewsMenu>();
        Assert.Empty(menu.FindAll("[data-testid='saved-view-link']"));

        button.Find("[data-testid='save-view']").Click();
        button.Find("input[data-testid='save-view-name'], [data-testid='save-view-name'] input").Input("Teams, 10-11 November");
        button.Find("input[data-testid='save-view-share'], [data-testid='save-view-share'] input").Change(true);
        await button.Find("[data-testid='save-view-confirm']").ClickAsync(new());

        var view = Assert.Single(await Views.ListAsync(Admin, Xunit.TestContext.Current.CancellationToken));
        Assert.Equal(("Teams, 10-11 November", Address, Roles.Admin), (view.Name, view.Href, view.SharedWithRole));
        Assert.Empty(button.FindAll("[data-testid='save-view-form']"));
        menu.WaitForAssertion(() => Assert.Equal(Address, menu.Find("[data-testid='saved-view-link']").GetAttribute("href")));
        Assert.Equal("Teams, 10-11 November", menu.Find("[data-testid='saved-view-link']").TextContent.Trim());
    }

    [Fact]
    public async Task A_view_without_a_name_or_with_a_name_already_used_is_refused_under_the_name_field()
    {
        var button = RenderButtonAt(Address);
        await Views.SaveAsync(Admin, "Weekly", "/", "?range=7d", shareWithRole: false, Xunit.TestContext.Current.CancellationToken);

        button.Find("[data-testid='save-view']").Click();
        await button.Find("[data-testid='save-view-confirm']").ClickAsync(new());
        Assert.Contains("Give the view a name.", button.Find("[data-testid='save-view-form']").TextContent, StringComparison.Ordinal);

        button.Find("input[data-testid='save-view-name'], [data-testid='save-view-name'] input").Input("Weekly");
        await button.Find("[data-testid='save-view-confirm']").ClickAsync(new());
        Assert.Contains("You already have a view named 'Weekly'. Choose another name.", button.Find("[data-testid='save-view-form']").TextContent, StringComparison.Ordinal);
        Assert.Single(await Views.ListAsync(Admin, Xunit.TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task The_views_page_renames_and_deletes_the_users_own_views_and_only_lists_those_shared_by_others()
    {
        var ct = Xunit.TestContext.Current.CancellationToken;
        Services.AddSingleton(_ => new SavedViewService(Database.Factory, TimeProvider.System));
        await Views.SaveAsync(Admin, "Models this week", "/spend", "?range=7d&by=model", shareWithRole: false, ct);
        await Views.SaveAsync(new ViewUser("other@test.local", Roles.Admin), "Shared by a colleague", "/", "?range=30d", shareWithRole: true, ct);
        var page = Render<SavedViewsPage>();

        Assert.Equal(["Models this week", "Shared by a colleague"], page.FindAll("[data-testid='view-name']").Select(n => n.TextContent.Trim()));
        Assert.Contains("shared by other@test.local", page.FindAll("[data-testid='view-detail']")[1].TextContent, StringComparison.Ordinal);
        Assert.Single(page.FindAll("[data-testid='view-rename']"));

        page.Find("[data-testid='view-rename']").Click();
        page.Find("input[data-testid='view-rename-name'], [data-testid='view-rename-name'] input").Input("Models, last 7 days");
        await page.Find("[data-testid='view-rename-save']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal("Models, last 7 days", page.FindAll("[data-testid='view-name']")[0].TextContent.Trim()));
        Assert.Equal("/spend?range=7d&by=model", page.FindAll("[data-testid='view-name']")[0].GetAttribute("href"));

        await page.Find("[data-testid='view-delete']").ClickAsync(new());
        page.WaitForAssertion(() => Assert.Equal(["Shared by a colleague"], page.FindAll("[data-testid='view-name']").Select(n => n.TextContent.Trim())));
        Assert.Equal(["Shared by a colleague"], (await Views.ListAsync(Admin, ct)).Select(v => v.Name));
    }
}
