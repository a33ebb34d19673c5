using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class OverviewTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_request_through_the_api_shows_on_the_overview_with_its_tier_and_savings()
    {
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "What are your opening hours?" } } });
        response.EnsureSuccessStatusCode();

        var console = await browser.OpenAsync("/");

        await Expect(console.TestId("latest-requests")).ToContainTextAsync("faq-and-status");
        await Expect(console.TestId("latest-requests")).ToContainTextAsync("gpt-4.1-nano");
        await Expect(console.TestId("savings-today")).ToContainTextAsync("%");
        await console.ScreenshotAsync("overview");
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task The_theme_choice_is_remembered_across_visits()
    {
        var context = await browser.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(browser.BaseAddress, "/").ToString());
        await ConsoleBrowser.WaitUntilInteractiveAsync(page);

        const string light = "() => getComputedStyle(document.body).backgroundColor === 'rgb(255, 255, 255)'";
        const string dark = "() => getComputedStyle(document.body).backgroundColor !== 'rgb(255, 255, 255)'";
        await page.WaitForFunctionAsync(light);

        await page.Locator("[data-testid='theme-toggle']").ClickAsync();
        await page.WaitForFunctionAsync(dark);
        await page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(page);

        // After a reload the page comes back dark without another click.
        await page.WaitForFunctionAsync(dark);
        await context.DisposeAsync();
    }
}
