using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class ReviewQueueTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private const string Hard =
        "Analyze the root cause of the churn in our enterprise segment, compare the retention strategy options and their trade-offs, "
        + "forecast the revenue impact step by step and recommend an action plan.";

    [Fact]
    public async Task A_weakened_top_model_sends_its_answers_to_the_review_queue_where_a_lead_marks_them_handled()
    {
        var console = await browser.OpenAsync("/settings");
        var page = console.Page;

        // A bad value is refused and changes nothing; then the top model is made too weak for hard questions.
        const string Row = "[data-testid='fault-row'][data-model='gpt-4.1'] ";
        await page.Locator(Row + "[data-testid='fault-slowdown']").FillAsync("0");
        await page.Locator(Row + "[data-testid='fault-apply']").ClickAsync();
        await Expect(console.TestId("fault-error")).ToContainTextAsync("slow-down multiplies the model's delays");
        await page.Locator(Row + "[data-testid='fault-slowdown']").FillAsync("1");
        await page.Locator(Row + "input[aria-label='gpt-4.1 capability percent']").FillAsync("0");
        await page.Locator(Row + "[data-testid='fault-apply']").ClickAsync();
        await Expect(page.GetByText("gpt-4.1: applied.")).ToBeVisibleAsync();
        await console.ScreenshotAsync("settings-simulated-models");

        // The playground asks the top tier until one answer fails its gates (the simulator's answers vary).
        await page.Locator(".mud-navmenu a[href='/playground']").ClickAsync();
        await console.TestId("playground-model").ClickAsync();
        await page.GetByText("tier: large").ClickAsync();
        await page.Locator("textarea[data-testid='turn-1'], [data-testid='turn-1'] textarea").First.FillAsync(Hard);
        for (var attempt = 0; attempt < 5 && await console.TestId("trace-review").CountAsync() == 0; attempt++)
        {
            await console.TestId("playground-send").ClickAsync();
            await Expect(console.TestId("playground-trace")).ToBeVisibleAsync(new() { Timeout = 30_000 });
            await Expect(console.TestId("playground-send")).ToBeEnabledAsync();
        }

        await Expect(console.TestId("trace-review")).ToContainTextAsync("flagged for human review");

        await page.Locator(".mud-navmenu a[href='/review']").ClickAsync();
        var rows = console.TestId("review-handle");
        await Expect(rows.First).ToBeVisibleAsync();
        var waiting = await rows.CountAsync();
        await Expect(console.TestId("review-count")).ToHaveTextAsync(waiting.ToString(System.Globalization.CultureInfo.InvariantCulture));
        await Expect(console.TestId("review-gate").First).ToContainTextAsync("confidence");
        await Expect(console.TestId("review-prompt").First).ToContainTextAsync("Analyze the root cause");
        await console.ScreenshotAsync("review-queue");

        await rows.First.ClickAsync();
        await Expect(console.TestId("review-handle")).ToHaveCountAsync(waiting - 1);
        if (waiting == 1)
        {
            await Expect(console.TestId("review-empty")).ToBeVisibleAsync();
            await Expect(console.TestId("review-count")).ToHaveCountAsync(0);
        }
        else
        {
            await Expect(console.TestId("review-count")).ToHaveTextAsync((waiting - 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        Assert.Empty(console.Errors);
    }
}
