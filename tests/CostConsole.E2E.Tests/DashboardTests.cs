using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class DashboardTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_request_sent_through_the_api_is_on_the_live_chart_within_a_second_and_a_half()
    {
        var console = await browser.OpenAsync("/");
        await console.Page.WaitForFunctionAsync("() => Number(document.querySelector(\"[data-testid='live-summary']\")?.getAttribute('data-sequence')) > 0");
        var spendBefore = await LiveSpendAsync(console);
        await Expect(console.TestId("spend-unit")).ToHaveTextAsync("(USD per second)");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "What are your opening hours?" } } });
        response.EnsureSuccessStatusCode();
        var answered = Stopwatch.StartNew();
        var cost = decimal.Parse(response.Headers.GetValues("x-costconsole-cost-usd").Single(), CultureInfo.InvariantCulture);

        await console.Page.WaitForFunctionAsync(
            $"() => Number(document.querySelector(\"[data-testid='live-summary']\").getAttribute('data-spend')) >= {(spendBefore + cost / 2).ToString(CultureInfo.InvariantCulture)}",
            null,
            new PageWaitForFunctionOptions { Timeout = 10_000, PollingInterval = 20 });
        var seen = answered.Elapsed;

        TestContext.Current.SendDiagnosticMessage($"Response to dashboard: {seen.TotalMilliseconds:0} ms");
        Assert.True(seen < TimeSpan.FromSeconds(1.5), $"The request's cost reached the dashboard after {seen.TotalMilliseconds:0} ms.");
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task History_ranges_draw_from_the_rollups_and_a_backwards_custom_range_is_refused()
    {
        var console = await browser.OpenAsync("/");
        await console.TestId("range-30d").ClickAsync();
        await Expect(console.TestId("export-csv")).ToHaveAttributeAsync("href", "/api/metrics/export.csv?range=30d");
        await console.Page.WaitForFunctionAsync("() => Number(document.querySelector(\"[data-testid='chart-spend']\").getAttribute('data-points')) >= 3 * 240");
        await Expect(console.TestId("spend-unit")).ToHaveTextAsync("(USD per 3 hours)");

        await console.TestId("range-custom").ClickAsync();
        await console.Input("custom-from").FillAsync("2026-03-10");
        await console.Input("custom-to").FillAsync("2026-03-01");
        await console.Input("custom-to").PressAsync("Tab");
        await console.TestId("custom-apply").ClickAsync();
        await Expect(console.TestId("dashboard-error")).ToContainTextAsync("ends (2026-03-01) before it starts (2026-03-10)");
        // The view did not change: still the 30-day export.
        await Expect(console.TestId("export-csv")).ToHaveAttributeAsync("href", "/api/metrics/export.csv?range=30d");
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task The_theme_choice_is_remembered_across_visits()
    {
        var context = await browser.NewSignedInContextAsync();
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

    internal static async Task<int> PointsAsync(ConsolePage console, string chart)
    {
        await console.Page.WaitForFunctionAsync($"() => document.querySelector(\"[data-testid='{chart}']\")?.hasAttribute('data-points')");
        return int.Parse(await console.TestId(chart).GetAttributeAsync("data-points") ?? "0", CultureInfo.InvariantCulture);
    }

    private static async Task<decimal> LiveSpendAsync(ConsolePage console) =>
        decimal.Parse(await console.TestId("live-summary").GetAttributeAsync("data-spend") ?? "0", CultureInfo.InvariantCulture);
}
