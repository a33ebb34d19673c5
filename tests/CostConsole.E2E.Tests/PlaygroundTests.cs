using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class PlaygroundTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_support_lead_streams_an_answer_reads_its_trace_and_compares_every_tier()
    {
        var console = await browser.OpenAsync("/playground");
        var page = console.Page;
        await Expect(console.Input("playground-stream")).ToBeCheckedAsync();

        var message = page.Locator("textarea[data-testid='turn-1'], [data-testid='turn-1'] textarea").First;
        await message.FillAsync("My invoice shows a double charge for March. Can you explain the refund process?");
        await message.PressAsync("Control+Enter");

        await Expect(console.TestId("playground-answer")).Not.ToBeEmptyAsync();
        await Expect(console.TestId("playground-trace")).ToBeVisibleAsync();
        await Expect(console.TestId("trace-tier")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(small|medium|large)"));
        await Expect(console.TestId("trace-model")).ToContainTextAsync("gpt-4.1");
        await Expect(console.TestId("trace-total-cost")).ToContainTextAsync("$");
        await Expect(console.TestId("trace-attempt").First).ToHaveAttributeAsync("data-kind", "First");
        await Expect(console.TestId("playground-request-link")).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("^/requests\\?id=req_"));
        await console.ScreenshotAsync("playground-trace");

        await console.TestId("playground-compare").ClickAsync();
        var cards = console.TestId("compare-card");
        await Expect(cards).ToHaveCountAsync(3);
        await Expect(cards.Nth(0)).ToHaveAttributeAsync("data-tier", "small");
        await Expect(cards.Nth(2)).ToHaveAttributeAsync("data-tier", "large");
        await Expect(console.TestId("compare-answer")).ToHaveCountAsync(3);
        await Expect(console.Page.Locator("[data-testid='compare-card'][data-best='true']")).ToHaveCountAsync(1);
        await console.ScreenshotAsync("playground-compare");

        // The request opens in the explorer's trace.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Answer and trace" }).ClickAsync();
        await console.TestId("playground-request-link").ClickAsync();
        await Expect(console.TestId("trace-request-id")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^req_"));
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task A_prompt_saved_with_its_expected_tier_is_checked_by_the_rule_editor_and_can_be_deleted()
    {
        var console = await browser.OpenAsync("/playground");
        var page = console.Page;
        var prompt = "Where is my parcel " + Guid.NewGuid().ToString("N")[..6] + "? Tracking please.";
        await page.Locator("textarea[data-testid='turn-1'], [data-testid='turn-1'] textarea").First.FillAsync(prompt);
        await console.TestId("playground-send").ClickAsync();

        // The answer comes from the simulated model at its own pace; on a busy machine that can take longer than Playwright's default wait.
        await Expect(console.TestId("playground-trace")).ToBeVisibleAsync(new() { Timeout = 30_000 });

        await console.TestId("save-example-button").ClickAsync();
        await Expect(page.GetByText("Saved to the labelled set")).ToBeVisibleAsync();
        await console.TestId("save-example-button").ClickAsync();
        await Expect(page.GetByText("This prompt was already saved")).ToBeVisibleAsync();

        await page.GotoAsync(new Uri(browser.BaseAddress, "/routing").ToString());
        await ConsoleBrowser.WaitUntilInteractiveAsync(page);
        await page.GetByRole(AriaRole.Tab, new() { Name = "Labelled check" }).ClickAsync();
        var run = console.TestId("labelled-run-saved");
        await Expect(run).ToContainTextAsync(new System.Text.RegularExpressions.Regex(@"Check saved examples \([1-9]\d*\)"));
        await run.ClickAsync();
        await Expect(console.TestId("labelled-result")).ToContainTextAsync("Draft:");

        await console.TestId("labelled-show-saved").ClickAsync();
        var row = console.TestId("saved-examples").Locator("tr", new() { HasText = prompt });
        await Expect(row).ToHaveCountAsync(1);
        await row.Locator("[data-testid='saved-example-delete']").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task Tools_that_are_not_a_json_array_are_refused_before_anything_is_sent()
    {
        var console = await browser.OpenAsync("/playground");
        var page = console.Page;
        await page.Locator("textarea[data-testid='turn-1'], [data-testid='turn-1'] textarea").First.FillAsync("Where is my order?");
        await page.GetByText("Tags, metadata and tools").ClickAsync();
        await page.Locator("textarea[data-testid='playground-tools'], [data-testid='playground-tools'] textarea").First.FillAsync("{\"type\": \"function\"}");

        await console.TestId("playground-send").ClickAsync();

        await Expect(console.TestId("playground-problems")).ToContainTextAsync("Tools must be a JSON array");
        await Expect(console.TestId("playground-empty")).ToBeVisibleAsync();
        Assert.Empty(console.Errors);
    }
}
