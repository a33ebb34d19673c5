using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class RouterLearningFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly string[] Things = ["order", "parcel", "invoice", "voucher", "refund", "subscription"];

    /// <summary>Traffic on the small tier: easy questions the customer marks resolved, hard analyses whose small answer escalates.</summary>
    private async Task SendTrafficAsync()
    {
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        for (var i = 0; i < 30; i++)
        {
            var thing = Things[i % Things.Length];
            using var easy = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "small", messages = new[] { new { role = "user", content = $"Where is my {thing} {2000 + i}? Tracking please." } } });
            Assert.True(easy.IsSuccessStatusCode);
            using var feedback = await http.PostAsJsonAsync("/api/feedback", new { request_id = easy.Headers.GetValues("x-costconsole-request-id").Single(), resolved = true });
            Assert.True(feedback.IsSuccessStatusCode);
            using var hard = await http.PostAsJsonAsync("/v1/chat/completions", new
            {
                model = "small",
                messages = new[]
                {
                    new
                    {
                        role = "user",
                        content = $"Analyze the root cause of the churn in our enterprise {thing} segment {i}, compare the retention strategy options and their trade-offs, "
                            + "forecast the revenue impact step by step and recommend an action plan.",
                    },
                },
            });
            Assert.True(hard.IsSuccessStatusCode);
        }
    }

    [Fact]
    public async Task An_admin_trains_from_the_ledger_retrains_into_a_proposal_and_uses_it_in_the_draft()
    {
        await SendTrafficAsync();
        var console = await browser.OpenAsync("/routing");
        var page = console.Page;

        await page.GetByRole(AriaRole.Tab, new() { Name = "Training" }).ClickAsync();
        await console.Input("training-source-ledger").ClickAsync();
        await console.TestId("ledger-read").ClickAsync();
        await Expect(console.TestId("ledger-summary")).ToContainTextAsync("60 labelled requests");
        await Expect(console.TestId("ledger-source-escalation")).ToContainTextAsync("30");
        await Expect(console.TestId("ledger-source-feedback")).ToContainTextAsync("30");
        await console.TestId("training-run").ClickAsync();
        await Expect(console.TestId("training-result")).ToBeVisibleAsync(new() { Timeout = 120_000 });

        await console.TestId("retrain-run").ScrollIntoViewIfNeededAsync();
        await console.TestId("retrain-run").ClickAsync();
        var proposal = console.TestId("proposals").Locator("tbody tr").First;
        await Expect(proposal).ToContainTextAsync("ledger-router@", new() { Timeout = 120_000 });
        await Expect(proposal.Locator("[data-testid=proposal-quality]")).ToHaveTextAsync(new Regex(@"\d+\.\d % · \d+\.\d %"));

        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await console.ScreenshotAsync("routing-learning");
        await ConsoleBrowser.PhoneAsync(page);
        await console.TestId("proposals").ScrollIntoViewIfNeededAsync();
        await console.ScreenshotAsync("routing-learning-phone", fullPage: false);
        await ConsoleBrowser.DesktopAsync(page);

        await proposal.Locator("[data-testid=proposal-use]").ClickAsync();
        await Expect(proposal.Locator("[data-testid=proposal-state]")).ToHaveTextAsync("in the draft");
        await Expect(console.TestId("learning-message")).ToContainTextAsync("is now the draft's classifier");
        await Expect(console.TestId("unpublished")).ToBeVisibleAsync();
        Assert.Empty(console.Errors);
    }
}
