using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>On a console of its own: the routing editor's tabs, where a new rule goes, the shadow warning and a rollback.</summary>
public sealed class RoutingEditorFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly string[] Tabs = ["Rules", "Classifier", "Escalation", "Tier mapping", "Test bench", "Labelled check", "Dry-run", "History"];

    private static async Task PickAsync(ConsolePage console, string label, string item)
    {
        await console.Page.Locator(".mud-dialog .mud-select", new() { HasText = label }).First.ClickAsync();
        await console.Page.Locator(".mud-popover-open .mud-list-item", new() { HasText = item }).First.ClickAsync();
        await Expect(console.Page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_rule_added_behind_one_that_catches_its_prompts_is_flagged_moved_above_published_and_rolled_back()
    {
        var console = await browser.OpenAsync("/routing");
        var page = console.Page;
        await Expect(console.TestId("no-draft")).ToBeVisibleAsync();

        // Every tab of the page fits in the window of a laptop.
        var bar = await page.Locator(".mud-tabs-tabbar").BoundingBoxAsync();
        foreach (var name in Tabs)
        {
            var tab = await page.GetByRole(AriaRole.Tab, new() { Name = name }).BoundingBoxAsync();
            Assert.True(tab is not null && tab.X >= bar!.X && tab.X + tab.Width <= bar.X + bar.Width + 1, $"The tab {name} is outside the tab bar at 1440 px.");
        }

        await Expect(page.Locator(".mud-tabs-scroll-button")).ToHaveCountAsync(0);
        await console.ScreenshotAsync("routing-tabs-1440", fullPage: false);

        await console.OpenFormAsync("add-rule", "rule-name");
        await console.Input("rule-name").FillAsync("refunds");
        await console.Input("condition-0-keywords").FillAsync("refund");
        await PickAsync(console, "Insert", "At the end");
        await console.TestId("rule-examples").FillAsync("What is your refund policy?\nIs the refund policy the same for gift cards?");
        await console.TestId("rule-save").ClickAsync();
        await Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0, new() { Timeout = 30_000 });

        var warning = console.TestId("shadow-refunds");
        await Expect(warning).ToContainTextAsync("Never matches", new() { Timeout = 30_000 });
        await Expect(warning).ToContainTextAsync("#3 'faq-and-status'");
        await Expect(console.TestId("rule-refunds").Locator("td").First).ToHaveTextAsync("4");
        await console.ScreenshotAsync("routing-shadow-warning-1440");
        await ConsoleBrowser.PhoneAsync(page);
        await Expect(warning).ToBeVisibleAsync();
        await console.ScreenshotAsync("routing-shadow-warning-390");
        await console.ScreenshotAsync("routing-tabs-390", fullPage: false);
        await ConsoleBrowser.DesktopAsync(page);

        await console.TestId("move-above-refunds").ClickAsync();
        await Expect(console.TestId("rule-refunds").Locator("td").First).ToHaveTextAsync("3");
        await Expect(console.TestId("shadow-refunds")).ToHaveCountAsync(0);

        // Dragging a row onto another puts it in that place, as the Move buttons do.
        await console.TestId("rule-refunds").DragToAsync(console.TestId("rules-table").Locator("tbody tr").First);
        await Expect(console.TestId("rule-refunds").Locator("td").First).ToHaveTextAsync("1");
        await Expect(console.TestId("shadow-refunds")).ToHaveCountAsync(0);
        await console.ScreenshotAsync("routing-rules-dragged-1440", fullPage: false);
        await ConsoleBrowser.PhoneAsync(page);
        await console.ScreenshotAsync("routing-rules-dragged-390", fullPage: false);
        await ConsoleBrowser.DesktopAsync(page);

        await console.TestId("publish").ClickAsync();
        await console.TestId("publish-note").FillAsync("refunds before the FAQ");
        await console.TestId("publish-confirm").ClickAsync();
        await Expect(page.GetByText("Version 2 is live.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        await console.TestId("rollback-1").ClickAsync();
        await page.Locator(".mud-dialog .mud-button-root", new() { HasText = "Roll back" }).Last.ClickAsync();
        await Expect(console.TestId("no-draft")).ToContainTextAsync("Live version 3");
        await Expect(console.TestId("unpublished")).ToHaveCountAsync(0);
        await Expect(console.TestId("rule-refunds")).ToHaveCountAsync(0);
        Assert.Empty(console.Errors);
    }
}
