using Bunit;
using Bunit.TestDoubles;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Metrics;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using SpendPage = CostConsole.Web.Components.Pages.Spend;

namespace CostConsole.Web.Tests.Components;

public sealed class SpendPageTests : ConsoleTestContext
{
    private const string November = "/spend?range=custom&from=2026-11-10&to=2026-11-11";

    private async Task<IRenderedComponent<SpendPage>> RenderAtAsync(string address)
    {
        await SpendLedger.SeedAsync(Database.Factory);
        Services.AddSingleton(new SpendReport(Database.Factory));
        Services.AddSingleton(new CostConsole.Web.Views.SavedViewService(Database.Factory, TimeProvider.System));
        Services.AddSingleton(TimeProvider.System);
        Services.GetRequiredService<NavigationManager>().NavigateTo(address);
        Render<MudPopoverProvider>();
        return Render<SpendPage>();
    }

    private static List<string> Names(IRenderedComponent<SpendPage> cut) => [.. cut.FindAll("[data-testid='spend-name']").Select(c => c.TextContent.Trim())];

    [Fact]
    public async Task A_shared_link_opens_the_teams_of_the_chosen_days_with_the_change_against_the_days_before()
    {
        var cut = await RenderAtAsync(November + "&by=team");

        cut.WaitForAssertion(() => Assert.Equal(["finance", "support", "No team"], Names(cut)));
        Assert.Equal(["−50.0 %", "+133.3 %", "—"], cut.FindAll("[data-testid='spend-change']").Select(c => c.TextContent.Trim()));
        Assert.Equal(["$0.5000", "$5.2500", "$0"], cut.FindAll("[data-testid='spend-savings']").Select(c => c.TextContent.Trim()));
        Assert.Equal("$0.5833", cut.FindAll("[data-testid='spend-per-request']")[1].TextContent.Trim());
        var summary = cut.Find("[data-testid='spend-summary']").TextContent;
        Assert.Contains("$3.8500 spent over 2026-11-10 to 2026-11-11 (UTC)", summary, StringComparison.Ordinal);
        Assert.Contains("−18.9 % against the 2 days before", summary, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_team_and_no_team_open_their_requests_of_the_same_days_in_the_explorer()
    {
        var cut = await RenderAtAsync(November + "&by=team");

        cut.WaitForAssertion(() => Assert.Equal(3, Names(cut).Count));

        Assert.Equal(
            [
                "/requests?range=custom&from=2026-11-10&to=2026-11-11&team=finance",
                "/requests?range=custom&from=2026-11-10&to=2026-11-11&team=support",
                "/requests?range=custom&from=2026-11-10&to=2026-11-11&team=No%20team",
            ],
            cut.FindAll("[data-testid='spend-team-link']").Select(a => a.GetAttribute("href")));
    }

    [Fact]
    public async Task Choosing_another_dimension_puts_it_in_the_address_and_shows_more_on_request()
    {
        var cut = await RenderAtAsync(November + "&by=team");
        cut.WaitForAssertion(() => Assert.Equal(3, Names(cut).Count));
        var navigation = Services.GetRequiredService<BunitNavigationManager>();

        cut.Find("[data-testid='spend-by-key']").Click();

        Assert.Contains("by=key", navigation.Uri, StringComparison.Ordinal);
        Assert.Contains("from=2026-11-10", navigation.Uri, StringComparison.Ordinal);
        cut.WaitForAssertion(() => Assert.Equal(["billing", "support-bot", "crm", "No key"], Names(cut)));
        Assert.Empty(cut.FindAll("[data-testid='spend-more']"));

        navigation.NavigateTo(November + "&by=key&top=2");
        cut.WaitForAssertion(() => Assert.Equal(["billing", "support-bot"], Names(cut)));
        cut.Find("[data-testid='spend-more']").Click();
        Assert.Contains("top=12", navigation.Uri, StringComparison.Ordinal);
        cut.WaitForAssertion(() => Assert.Equal(4, Names(cut).Count));
    }

    [Fact]
    public async Task The_users_button_ranks_end_users_and_conversations_link_to_their_turns()
    {
        var cut = await RenderAtAsync(November + "&by=team");
        cut.WaitForAssertion(() => Assert.Equal(3, Names(cut).Count));

        cut.Find("[data-testid='spend-by-user']").Click();

        Assert.Contains("by=user", Services.GetRequiredService<BunitNavigationManager>().Uri, StringComparison.Ordinal);
        cut.WaitForAssertion(() => Assert.Equal(["bob", "alice"], Names(cut)));
        Assert.Equal(["$2.0000", "$1.7500"], cut.FindAll("[data-testid='spend-cost']").Select(c => c.TextContent.Trim()));

        cut.Find("[data-testid='spend-by-conversation']").Click();
        cut.WaitForAssertion(() => Assert.Equal(["/conversations/c2", "/conversations/c1"], cut.FindAll("[data-testid='spend-conversation-link']").Select(a => a.GetAttribute("href"))));
    }

    [Fact]
    public async Task A_range_without_end_users_says_where_the_user_comes_from()
    {
        var cut = await RenderAtAsync("/spend?range=24h&by=user");

        cut.WaitForAssertion(() => Assert.Contains("named an end user (the request's user field)", cut.Find("[data-testid='spend-empty']").TextContent, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_range_without_requests_says_so_and_a_bad_link_says_what_to_use()
    {
        var cut = await RenderAtAsync("/spend?range=24h&by=model");
        cut.WaitForAssertion(() => Assert.Contains("No requests in this range", cut.Find("[data-testid='spend-empty']").TextContent, StringComparison.Ordinal));

        Services.GetRequiredService<NavigationManager>().NavigateTo("/spend?range=fortnight");
        cut.WaitForAssertion(() => Assert.Contains("Unknown range 'fortnight'", cut.Find("[data-testid='spend-error']").TextContent, StringComparison.Ordinal));
        Assert.Empty(cut.FindAll("[data-testid='spend-table']"));
    }

    [Fact]
    public async Task The_files_for_finance_cover_the_whole_days_of_the_range_shown()
    {
        var cut = await RenderAtAsync(November + "&by=team");

        cut.WaitForAssertion(() => Assert.Equal(3, Names(cut).Count));
        Assert.Contains("whole UTC days 2026-11-10 to 2026-11-11", cut.Find("[data-testid='spend-exports']").TextContent, StringComparison.Ordinal);
        Assert.Equal("/api/export/focus?from=2026-11-10&to=2026-11-11", cut.Find("[data-testid='spend-export-focus']").GetAttribute("href"));
        Assert.Equal("/api/export/chargeback?from=2026-11-10&to=2026-11-11&period=month", cut.Find("[data-testid='spend-export-chargeback-month']").GetAttribute("href"));
    }
}
