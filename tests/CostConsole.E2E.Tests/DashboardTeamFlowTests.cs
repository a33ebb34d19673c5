using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>On a console of its own, so the ledger holds only the requests this test sends.</summary>
public sealed class DashboardTeamFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task No_team_on_the_dashboard_counts_exactly_the_requests_without_a_team_as_the_explorer_lists_them_and_survives_a_reload()
    {
        // Requests of two teams (a support key and the development key) and one without a key, from the playground.
        var keys = await browser.OpenAsync("/keys");
        await keys.OpenFormAsync("create-key", "key-name");
        await keys.Input("key-name").FillAsync("crm-agent");
        await keys.Input("key-team").FillAsync("support");
        await keys.TestId("key-save").ClickAsync();
        var support = (await keys.TestId("new-key-secret").InnerTextAsync()).Trim();
        Assert.StartsWith("cc-", support, StringComparison.Ordinal);
        await SendAsync(support, 2);
        await SendAsync(ConsoleBrowser.ApiKey, 2);

        var playground = await browser.OpenAsync("/playground");
        var message = playground.Page.Locator("textarea[data-testid='turn-1'], [data-testid='turn-1'] textarea").First;
        await message.FillAsync("Where is my order?");
        await message.PressAsync("Control+Enter");
        await Expect(playground.TestId("playground-request-link")).ToHaveAttributeAsync("href", new Regex("^/requests\\?id=req_"), new() { Timeout = 15_000 });

        var console = await browser.OpenAsync("/?range=24h");
        await Expect(console.TestId("card-requests-value")).ToHaveTextAsync("5", new() { Timeout = 15_000 });
        await console.ScreenshotAsync("dashboard-all-teams-desktop");

        await console.TestId("filter-team").ClickAsync();
        await console.Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "No team" }).ClickAsync();

        await Expect(console.Page).ToHaveURLAsync(new Regex(@"/\?range=24h&team=No%20team$"));
        await Expect(TeamChoice(console)).ToHaveTextAsync("No team");
        await Expect(console.TestId("card-requests-value")).ToHaveTextAsync("1", new() { Timeout = 15_000 });
        await Expect(console.TestId("dashboard-error")).ToHaveCountAsync(0);
        // One request in one bucket among empty ones: its latency (p50, p95) and its rates are points with no line to either
        // side, each drawn as a marker that shows instead of not at all.
        await ExpectLonePointsShownAsync(console, "chart-latency", 2);
        await ExpectLonePointsShownAsync(console, "chart-rates", 3);
        await console.ScreenshotAsync("dashboard-no-team-desktop");

        // The address alone brings the filter back, as a saved view or a shared link would.
        await console.Page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await Expect(TeamChoice(console)).ToHaveTextAsync("No team");
        await Expect(console.TestId("card-requests-value")).ToHaveTextAsync("1", new() { Timeout = 15_000 });

        // The explorer with the same filter lists the same request: the playground's, without a key, none of the teams'.
        var requests = await browser.OpenAsync("/requests?range=24h&team=No%20team");
        await Expect(requests.TestId("requests-pager-info")).ToHaveTextAsync("1–1 of 1", new() { Timeout = 15_000 });
        await Expect(requests.TestId("requests-grid").Locator("tbody tr")).ToHaveCountAsync(1);
        await Expect(requests.TestId("requests-grid")).ToContainTextAsync("no key");
        await Expect(requests.TestId("request-team")).ToHaveCountAsync(0);

        // A team is counted apart from No team.
        await console.TestId("filter-team").ClickAsync();
        await console.Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = "support" }).ClickAsync();
        await Expect(console.Page).ToHaveURLAsync(new Regex(@"/\?range=24h&team=support$"));
        await Expect(console.TestId("card-requests-value")).ToHaveTextAsync("2", new() { Timeout = 15_000 });

        console.AssertNoErrors();
        requests.AssertNoErrors();
        playground.AssertNoErrors();
    }

    /// <summary>The chart marks <paramref name="count"/> lone points, and the groups their markers are drawn in are not transparent.</summary>
    private static async Task ExpectLonePointsShownAsync(ConsolePage console, string chart, int count)
    {
        var marked = console.TestId(chart).Locator(".apexcharts-series-markers-wrap:has(.apexcharts-marker[default-marker-size='4'])");
        await Expect(marked).ToHaveCountAsync(count, new() { Timeout = 15_000 });
        for (var i = 0; i < count; i++)
        {
            await Expect(marked.Nth(i)).ToHaveCSSAsync("opacity", "1");
        }
    }

    private static ILocator TeamChoice(ConsolePage console) => console.Page.GetByRole(AriaRole.Combobox, new() { Name = "Team" });

    private async Task SendAsync(string key, int count)
    {
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", key);
        for (var i = 0; i < count; i++)
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order?" } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }
}
