using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class SavedViewFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_user_saves_the_spend_view_goes_elsewhere_and_reopens_it_from_the_menu_with_the_same_filters()
    {
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        using (var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order?" } } }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var console = await browser.OpenAsync("/spend?range=7d&by=model");
        await Expect(console.TestId("spend-name").First).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await console.TestId("save-view").ClickAsync();
        await console.Input("save-view-name").FillAsync("Models this week");
        await console.ScreenshotAsync("saved-view-save-desktop");
        await console.TestId("save-view-confirm").ClickAsync();
        var link = console.TestId("saved-view-link").Filter(new() { HasText = "Models this week" });
        await Expect(link).ToBeVisibleAsync();

        // Elsewhere, then back through the menu: the page opens with the range and dimension it was saved with.
        // The address changes in the browser before the circuit has drawn the page; each step waits for the page itself
        // (its heading and controls), so the next click lands on the page the user would see, not on one still coming.
        await console.TestId("nav-").First.ClickAsync();
        await Expect(console.Page).ToHaveURLAsync(new Regex("/$"));
        await Expect(console.Page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard", Level = 1 })).ToBeVisibleAsync();
        await Expect(console.TestId("range-live")).ToBeVisibleAsync();
        await link.ClickAsync();
        await Expect(console.Page).ToHaveURLAsync(new Regex(@"/spend\?range=7d&by=model$"));
        await Expect(console.TestId("spend-by-model")).ToHaveAttributeAsync("aria-pressed", "true");
        await Expect(console.TestId("spend-range-7d")).ToHaveAttributeAsync("aria-pressed", "true");
        await console.ScreenshotAsync("saved-view-reopened-desktop");

        await console.TestId("nav-views").ClickAsync();
        await Expect(console.Page.GetByRole(AriaRole.Heading, new() { Name = "Saved views", Level = 1 })).ToBeVisibleAsync();
        await Expect(console.TestId("view-name")).ToContainTextAsync("Models this week");
        await console.ScreenshotAsync("saved-views-desktop");
        console.AssertNoErrors();

        await console.Page.SetViewportSizeAsync(390, 844);
        await FitsAsync(console);
        var overflow = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"The views page is {overflow} px wider than a 390 px phone.");
        await console.ScreenshotAsync("saved-views-mobile");
        await console.Page.GotoAsync(new Uri(browser.BaseAddress, "/spend?range=7d&by=model").ToString());
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await console.TestId("save-view").ClickAsync();
        await Expect(console.TestId("save-view-form")).ToBeVisibleAsync();
        await FitsAsync(console);
        overflow = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"The Spend page with the save form is {overflow} px wider than a 390 px phone.");
        await console.ScreenshotAsync("saved-view-save-mobile");
    }

    /// <summary>The drawer folds away a moment after a resize: waits (with a deadline) until the page fits the window.</summary>
    private static async Task FitsAsync(ConsolePage console)
    {
        try
        {
            await console.Page.WaitForFunctionAsync("() => document.documentElement.scrollWidth <= window.innerWidth", null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
        }
    }
}
