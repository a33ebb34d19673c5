using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>On a console of its own: an experiment created, started, watched, stopped and its winner rolled out into a routing draft in the browser.</summary>
public sealed class ExperimentFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private static async Task PickAsync(ConsolePage console, string select, params string[] items)
    {
        await console.Input(select).ClickAsync();
        foreach (var item in items)
        {
            await console.Page.Locator(".mud-popover-open .mud-list-item", new() { HasText = item }).First.ClickAsync();
        }

        await console.Page.Locator("h1").ClickAsync();
        await Expect(console.Page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    /// <summary>Opens a single-choice select (its input is hidden behind the shown value) and picks one item; the menu closes itself.</summary>
    private static async Task ChooseAsync(ConsolePage console, string select, string item)
    {
        await console.Page.Locator($".mud-select:has([data-testid='{select}'])").First.ClickAsync();
        await console.Page.Locator(".mud-popover-open .mud-list-item", new() { HasText = item }).First.ClickAsync();
        await Expect(console.Page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task Create_start_watch_stop_and_roll_out_an_experiment_then_rate_a_request()
    {
        var console = await browser.OpenAsync("/experiments");
        await Expect(console.TestId("experiments-empty")).ToBeVisibleAsync();
        await console.OpenFormAsync("new-experiment", "experiment-name");
        await console.Input("experiment-name").FillAsync("Small tier: mini vs nano");

        // Both arms start as the default mapping: saving now is refused and nothing is created.
        await console.TestId("experiment-save").ClickAsync();
        await Expect(console.TestId("experiment-errors")).ToContainTextAsync("routes exactly like the control");

        await ChooseAsync(console, "arm-1-tier-small", "simulator/gpt-4.1-mini");
        await PickAsync(console, "scope-tiers", "small");
        await console.Input("arm-1-name").FillAsync("mini");
        await console.Input("arm-0-weight").FillAsync("60");
        await console.Input("arm-0-weight").PressAsync("Tab");
        await Expect(console.TestId("split-total")).ToHaveTextAsync("total 100%");
        await console.Input("experiment-baseline").FillAsync("90");
        await console.Input("experiment-effect").FillAsync("20");
        await console.Input("experiment-effect").PressAsync("Tab");
        await Expect(console.TestId("experiment-sample-size")).ToContainTextAsync("Needs 62 requests");
        await console.ScreenshotAsync("experiment-form");
        await console.TestId("experiment-save").ClickAsync();

        await Expect(console.TestId("state-1")).ToHaveTextAsync("draft");
        await console.TestId("start-1").ClickAsync();
        await Expect(console.TestId("state-1")).ToHaveTextAsync("running");

        // Sample traffic with simulated customer outcomes drives it.
        var settings = await browser.OpenAsync("/settings");
        await settings.Input("traffic-rate").FillAsync("100");
        await settings.Input("traffic-seconds").FillAsync("15");
        await settings.Input("traffic-outcomes").CheckAsync(new() { Force = true });
        await settings.TestId("traffic-start").ClickAsync();
        await Expect(settings.TestId("traffic-outcomes-recorded")).Not.ToHaveTextAsync("0", new() { Timeout = (float)Deadline.TotalMilliseconds });

        var results = await browser.OpenAsync("/experiments/1");
        await Expect(results.TestId("experiment-title")).ToHaveTextAsync("Small tier: mini vs nano");
        var verdict = results.TestId("verdict-mini");
        await Expect(verdict).ToContainTextAsync("cost per request", new() { Timeout = (float)Deadline.TotalMilliseconds });
        await Expect(verdict).ToContainTextAsync("% more expensive (95% CI");
        await Expect(results.TestId("recommendation-mini")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(Ship mini|Keep |Weigh it)"));
        await Expect(results.TestId("chart-experiment-cost").Locator("path.apexcharts-line").First).ToBeAttachedAsync();
        await results.ScreenshotAsync("experiment-results");

        await results.TestId("experiment-stop").ClickAsync();
        await results.Page.Locator(".mud-dialog button", new() { HasText = "Stop" }).ClickAsync();
        await Expect(results.TestId("state-1")).ToHaveTextAsync("stopped");
        await results.TestId("experiment-rollout").ClickAsync();
        await results.TestId("rollout-mini").ClickAsync();
        await Expect(results.Page.Locator(".mud-dialog")).ToContainTextAsync("small → simulator/gpt-4.1-mini");
        await results.Page.Locator(".mud-dialog button", new() { HasText = "Write to draft" }).ClickAsync();
        await Expect(results.TestId("rollout-done")).ToContainTextAsync("mini");
        await results.ScreenshotAsync("experiment-rollout-1440", fullPage: false);
        await results.Page.SetViewportSizeAsync(390, 844);
        await results.ScreenshotAsync("experiment-rollout-390", fullPage: false);
        await ConsoleBrowser.DesktopAsync(results.Page);

        // The link opens the routing page's diff of the draft against the live version; the audit log records the rollout.
        await results.TestId("rollout-review").ClickAsync();
        await results.Page.WaitForURLAsync("**/routing?show=changes");
        var diff = results.TestId("history-diff");
        await Expect(diff).ToContainTextAsync("models of tier 'small'");
        await Expect(diff).ToContainTextAsync("simulator/gpt-4.1-mini");
        await Expect(results.TestId("unpublished")).ToBeVisibleAsync();
        await Expect(results.Page.GetByText("experiment.rollout").First).ToBeVisibleAsync();
        await results.ScreenshotAsync("routing-rollout-diff-1440", fullPage: false);
        await results.Page.SetViewportSizeAsync(390, 844);
        await results.ScreenshotAsync("routing-rollout-diff-390", fullPage: false);
        await ConsoleBrowser.DesktopAsync(results.Page);

        // A request of the experiment gets an outcome from its trace.
        var requests = await browser.OpenAsync("/requests");
        await requests.TestId("requests-grid").Locator("tbody tr").First.ClickAsync();
        var panel = requests.TestId("feedback-panel");
        await Expect(panel).ToBeVisibleAsync();
        await requests.TestId("feedback-unresolved").ClickAsync();
        await panel.Locator(".mud-rating-item").Nth(1).ClickAsync();
        await requests.Page.Locator("textarea[data-testid='feedback-comment']").FillAsync("customer called back");
        await requests.TestId("feedback-save").ClickAsync();
        await Expect(requests.Page.Locator(".mud-snackbar")).ToContainTextAsync("Feedback");
        await Expect(panel).ToContainTextAsync("from console");
        await requests.ScreenshotAsync("request-feedback", fullPage: false);

        Assert.Empty(console.Errors);
        Assert.Empty(results.Errors);
        Assert.Empty(requests.Errors);
    }
}
