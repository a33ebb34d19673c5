using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>On a console of its own, so the dashboard starts empty.</summary>
public sealed class DashboardTrafficTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sample_traffic_started_from_the_dashboard_grows_the_live_chart_and_a_request_opens_with_its_trace()
    {
        var console = await browser.OpenAsync("/");
        await Expect(console.TestId("empty-state")).ToBeVisibleAsync();
        var before = await DashboardTests.PointsAsync(console, "chart-spend");

        await console.Input("traffic-rate").FillAsync("25");
        await console.Input("traffic-seconds").FillAsync("120");
        await console.TestId("traffic-start").ClickAsync();
        await console.TestId("traffic-progress").WaitForAsync();

        // Ticks append points to the live spend chart, and the live line counts the requests.
        await console.Page.WaitForFunctionAsync(
            $"() => Number(document.querySelector(\"[data-testid='chart-spend']\").getAttribute('data-points')) > {before + 30}",
            null,
            new PageWaitForFunctionOptions { Timeout = (float)Deadline.TotalMilliseconds });
        await console.Page.WaitForFunctionAsync(
            "() => Number(document.querySelector(\"[data-testid='live-summary']\")?.getAttribute('data-requests')) > 50",
            null,
            new PageWaitForFunctionOptions { Timeout = (float)Deadline.TotalMilliseconds });
        await Expect(console.TestId("empty-state")).ToHaveCountAsync(0);

        // Under traffic, the requests card and the live line add up the same ticks: compared whenever both show the same last tick.
        var compared = 0;
        var deadline = DateTime.UtcNow + Deadline;
        while (compared < 3 && DateTime.UtcNow < deadline)
        {
            var seen = await console.Page.EvaluateAsync<string?[]>(
                "() => [document.querySelector(\"[data-testid='live-summary']\").getAttribute('data-sequence'), document.querySelector(\"[data-testid='live-summary']\").getAttribute('data-requests'),"
                + " document.querySelector(\"[data-testid='headline-cards']\").getAttribute('data-sequence'), document.querySelector(\"[data-testid='card-requests-value']\").textContent]");
            if (seen[0] is { } sequence && sequence == seen[2])
            {
                Assert.Equal(seen[1], seen[3]!.Replace(",", "", StringComparison.Ordinal).Trim());
                compared++;
                await console.Page.WaitForFunctionAsync(
                    $"() => document.querySelector(\"[data-testid='live-summary']\").getAttribute('data-sequence') !== '{sequence}'",
                    null,
                    new PageWaitForFunctionOptions { Timeout = (float)Deadline.TotalMilliseconds });
            }
        }

        Assert.Equal(3, compared);
        await Expect(console.TestId("card-requests")).ToContainTextAsync("in the last 15 minutes to ");
        await Expect(console.TestId("card-spend-today")).ToContainTextAsync("since 00:00 UTC; every request counted once recorded, as in the live line");
        await Expect(console.TestId("card-spend-today-value")).Not.ToHaveTextAsync("$0");
        await Expect(console.TestId("card-requests-value")).Not.ToHaveTextAsync("0", new() { Timeout = (float)Deadline.TotalMilliseconds });
        await Expect(console.TestId("chart-spend").Locator("path.apexcharts-area").First).ToBeAttachedAsync();
        await console.ScreenshotAsync("dashboard-live");

        // The empty-state card has folded away; the app bar still shows the run and can stop it.
        var indicator = console.TestId("traffic-indicator");
        await Expect(indicator).ToBeVisibleAsync();
        await Expect(indicator.Locator("[data-testid='traffic-indicator-sent']")).Not.ToHaveTextAsync("0");
        await Expect(console.Page.GetByRole(AriaRole.Button, new() { Name = "Stop sample traffic" })).ToBeVisibleAsync();
        await console.ScreenshotAsync("app-bar-traffic-1440", fullPage: false);
        await console.Page.SetViewportSizeAsync(390, 844);
        await Expect(console.TestId("traffic-indicator-stop")).ToBeInViewportAsync();
        await Expect(indicator).ToBeVisibleAsync();
        // Every control of the app bar is within the phone's width beside the indicator: theme and account go into one menu.
        var appBar = console.Page.Locator("header.mud-appbar");
        foreach (var control in new[] { "Toggle navigation", "Stop sample traffic", "Alerts", "Theme and account" })
        {
            await Expect(appBar.GetByRole(AriaRole.Button, new() { Name = control, Exact = true })).ToBeInViewportAsync(new() { Ratio = 1 });
        }

        var offScreen = await console.Page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('header.mud-appbar button')].filter(b => b.offsetParent !== null && b.getBoundingClientRect().right > window.innerWidth).map(b => b.getAttribute('aria-label') || b.textContent.trim())");
        Assert.Empty(offScreen);
        await console.ScreenshotAsync("app-bar-traffic-390", fullPage: false);
        await appBar.GetByRole(AriaRole.Button, new() { Name = "Theme and account", Exact = true }).ClickAsync();
        await Expect(console.TestId("more-sign-out")).ToBeInViewportAsync();
        await Expect(console.TestId("more-theme-toggle")).ToContainTextAsync("Dark theme");
        await console.ScreenshotAsync("app-bar-more-390", fullPage: false);
        await console.Page.Keyboard.PressAsync("Escape");
        await ConsoleBrowser.DesktopAsync(console.Page);

        var requests = await browser.OpenAsync("/requests");
        var rows = requests.TestId("requests-grid").Locator("tbody tr");
        await Expect(rows.First).ToContainTextAsync("answered");
        await rows.First.ClickAsync();
        var trace = requests.TestId("request-trace");
        await Expect(trace).ToBeVisibleAsync();
        await Expect(trace.Locator("[data-testid='trace-why']")).Not.ToBeEmptyAsync();
        await Expect(trace.Locator("[data-testid='trace-attempts']")).ToContainTextAsync("answered");
        await Expect(trace.Locator("[data-testid='trace-prompt']")).Not.ToBeEmptyAsync();
        await requests.ScreenshotAsync("request-trace", fullPage: false);

        // On another page, by keyboard: the app bar's Stop ends the run and the indicator goes away.
        await Expect(requests.TestId("traffic-indicator")).ToBeVisibleAsync();
        await requests.TestId("traffic-indicator-stop").FocusAsync();
        await requests.Page.Keyboard.PressAsync("Enter");
        await Expect(requests.TestId("traffic-indicator")).ToHaveCountAsync(0);
        await Expect(console.TestId("traffic-indicator")).ToHaveCountAsync(0);

        Assert.Empty(console.Errors);
        Assert.Empty(requests.Errors);
    }

}
