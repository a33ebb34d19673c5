using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class CacheFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private async Task<string> AskAsync(HttpClient http, string prompt)
    {
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-costconsole-cache").Single();
    }

    [Fact]
    public async Task An_admin_turns_the_cache_on_sees_the_stored_answers_with_their_hits_and_savings_and_purges_them()
    {
        var console = await browser.OpenAsync("/cache");
        await Expect(console.TestId("cache-empty")).ToContainTextAsync("Turn the cache on");
        await console.TestId("cache-toggle").ClickAsync();
        await Expect(console.TestId("cache-toggle-note")).ToContainTextAsync("until the next restart");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        Assert.Equal("miss", await AskAsync(http, "How do I export my contacts?"));
        Assert.Equal("semantic", await AskAsync(http, "How can I export my contacts?"));
        Assert.Equal("miss", await AskAsync(http, "Is there a mobile app for the CRM?"));
        Assert.Equal("exact", await AskAsync(http, "Is there a mobile app for the CRM?"));

        await console.Page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await Expect(console.TestId("cache-entry-prompt")).ToHaveCountAsync(2);
        await Expect(console.TestId("cache-hit-rate")).ToHaveTextAsync("50.0%");
        await Expect(console.TestId("cache-saved")).Not.ToHaveTextAsync("$0.00");
        Assert.Empty(console.Errors);
        await console.ScreenshotAsync("cache-desktop");
        await console.Page.SetViewportSizeAsync(390, 844);
        await console.ScreenshotAsync("cache-mobile");
        await console.Page.SetViewportSizeAsync(1440, 900);

        await console.Input("cache-search").FillAsync("mobile app");
        await Expect(console.TestId("cache-entry-prompt")).ToHaveCountAsync(1);
        await console.TestId("purge-entry").ClickAsync();
        await console.Input("cache-search").FillAsync("");
        await Expect(console.TestId("cache-entry-prompt")).ToHaveCountAsync(1);
        await Expect(console.TestId("cache-entry-prompt")).ToContainTextAsync("export my contacts");
        Assert.Equal("miss", await AskAsync(http, "Is there a mobile app for the CRM?"));

        await console.Page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await console.TestId("purge-all").ClickAsync();
        await console.Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Purge all" }).ClickAsync();
        await Expect(console.TestId("cache-empty")).ToContainTextAsync("No entries yet");
        Assert.Equal("miss", await AskAsync(http, "How can I export my contacts?"));
        Assert.Empty(console.Errors);
    }
}
