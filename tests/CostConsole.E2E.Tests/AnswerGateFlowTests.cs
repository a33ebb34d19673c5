using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class AnswerGateFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private const string Labelled =
        "prompt,small-model,large-model,small-model_response,large-model_response\n"
        + "\"How many seats are left?\",True,True,\"You have 4 seats left.\",\"4\"\n"
        + "\"What is the total for 3 seats at $12.50?\",False,True,\"3 × 12.50 = 36.50\",\"37.50\"\n"
        + "\"Which plan?\nA. Team\nB. Business\",False,True,\"It depends.\",\"The answer is (B).\"\n"
        + "\"What is 2 + 2?\",True,False,\"2 + 2 = 4\",\"5\"\n";

    [Fact]
    public async Task An_admin_turns_on_a_gate_tests_it_on_a_pasted_answer_evaluates_a_file_sees_the_curve_and_publishes()
    {
        var file = Path.Combine(Path.GetTempPath(), $"cc-e2e-labelled-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(file, Labelled, TestContext.Current.CancellationToken);
        try
        {
            var console = await browser.OpenAsync("/routing");
            var page = console.Page;
            await page.GetByRole(AriaRole.Tab, new() { Name = "Escalation" }).ClickAsync();

            await page.GetByText("small — ").ClickAsync();
            await console.Input("gates-small-final-answer").CheckAsync();
            await Expect(console.TestId("gates-small")).ToContainTextAsync("one final answer");

            await page.Locator("textarea[data-testid='gate-test-question'], [data-testid='gate-test-question'] textarea").First.FillAsync("Which plan fits 12 people?\nA. Team\nB. Business");
            await page.Locator("textarea[data-testid='gate-test-answer'], [data-testid='gate-test-answer'] textarea").First.FillAsync("12 seats at $12.50: 12 × 12.50 = 140.00, so the answer is (A).");
            await console.TestId("gate-test-run").ClickAsync();
            await Expect(console.TestId("gate-verdict-arithmetic")).ToContainTextAsync("12 × 12.50 = 140.00 (expected 150.00)");
            await Expect(console.TestId("gate-verdict-arithmetic")).ToContainTextAsync("escalate");
            await Expect(console.TestId("gate-verdict-final-answer")).ToContainTextAsync("asked for one of A–B, the answer states A");

            await console.Input("evaluate-small-model").FillAsync("small-model");
            await console.Input("evaluate-large-model").FillAsync("large-model");
            await console.TestId("escalation-evaluate").Locator("input[type=file]").SetInputFilesAsync(file);
            await console.TestId("evaluate-run").ClickAsync();
            await Expect(console.TestId("evaluate-gate-policy")).ToContainTextAsync("50.0 %");
            await Expect(console.TestId("evaluate-gate-arithmetic")).ToBeVisibleAsync();
            await Expect(console.TestId("evaluate-gate-final-answer")).ToBeVisibleAsync();
            await Expect(console.TestId("evaluate-routing-alone")).ToContainTextAsync("%");
            await Expect(console.TestId("evaluate-routing-cascade")).ToContainTextAsync("%");
            await Expect(console.TestId("chart-escalation-curve").Locator("svg.apexcharts-svg")).ToBeVisibleAsync();
            await Expect(console.TestId("chart-escalation-curve").Locator(".apexcharts-series").First).ToBeVisibleAsync();
            await console.ScreenshotAsync("escalation-answer-gates");

            await console.TestId("escalation-save").ClickAsync();
            await Expect(console.TestId("unpublished")).ToBeVisibleAsync();
            await console.TestId("publish").ClickAsync();
            await Expect(page.Locator(".mud-dialog [data-testid=diff]")).ToContainTextAsync("one final answer");
            await console.TestId("publish-note").FillAsync("small answers must state one final answer");
            await console.TestId("publish-confirm").ClickAsync();
            await Expect(page.GetByText("is live.")).ToBeVisibleAsync();
            Assert.Empty(console.Errors);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
