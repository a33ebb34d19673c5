using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>What the cache saved on the dashboard, and from a cached request's trace to the entry that answered it.</summary>
public sealed class CacheDashboardFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private const string Question = "Can I merge two duplicate contacts into one?";

    [Fact]
    public async Task The_dashboard_shows_what_the_cache_saved_and_a_cached_requests_trace_leads_to_its_entry()
    {
        var cache = await browser.OpenAsync("/cache");
        await cache.TestId("cache-toggle").ClickAsync();
        await Expect(cache.TestId("cache-toggle-note")).ToContainTextAsync("until the next restart");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        string hitId = "";
        foreach (var expected in new[] { "miss", "exact" })
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = Question } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(expected, response.Headers.GetValues("x-costconsole-cache").Single());
            hitId = response.Headers.GetValues("x-costconsole-request-id").Single();
        }

        var dashboard = await browser.OpenAsync("/");
        await dashboard.TestId("range-24h").ClickAsync();
        await Expect(dashboard.TestId("card-cache-hit-rate-value")).ToHaveTextAsync("50.0 %");
        await Expect(dashboard.TestId("card-cache-hit-rate-note")).ToContainTextAsync("1 of 2 lookups");
        await Expect(dashboard.TestId("card-cache-saved-value")).Not.ToHaveTextAsync("$0");
        await Expect(dashboard.TestId("card-cache-saved-note")).ToContainTextAsync("1 answer from cache (1 exact, 0 semantic)");
        await dashboard.TestId("cache-cards").ScrollIntoViewIfNeededAsync();
        await dashboard.ScreenshotAsync("dashboard-cache-cards", fullPage: false);
        await dashboard.Page.SetViewportSizeAsync(390, 844);
        await dashboard.TestId("cache-cards").ScrollIntoViewIfNeededAsync();
        await Expect(dashboard.TestId("card-cache-hit-rate")).ToBeVisibleAsync();
        await dashboard.ScreenshotAsync("dashboard-cache-cards-390", fullPage: false);

        var requests = await browser.OpenAsync("/requests");
        await requests.Page.Locator($"[data-request-id='{hitId}']").ClickAsync();
        await Expect(requests.TestId("trace-cache")).ToContainTextAsync("exact hit, saved $");
        await requests.TestId("trace-cache").ScrollIntoViewIfNeededAsync();
        await requests.ScreenshotAsync("request-trace-cache", fullPage: false);
        await requests.TestId("trace-cache-entry").ClickAsync();

        await requests.Page.WaitForURLAsync("**/cache?entry=ce_*");
        await Expect(requests.TestId("cache-entry-prompt")).ToHaveCountAsync(1);
        await Expect(requests.TestId("cache-entry-prompt")).ToContainTextAsync(Question);
        await requests.ScreenshotAsync("cache-entry-from-trace", fullPage: false);
        Assert.Empty(cache.Errors);
        Assert.Empty(dashboard.Errors);
        Assert.Empty(requests.Errors);
    }
}
