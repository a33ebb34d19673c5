using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class BudgetPageFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private async Task AddBudgetAsync(ConsolePage console, string name, string limit, bool strict)
    {
        await console.OpenFormAsync("add-budget", "budget-name");
        await console.Input("budget-name").FillAsync(name);
        await console.Input("budget-limit").FillAsync(limit);
        if (strict)
        {
            await console.Input("budget-strict").CheckAsync();
        }

        await console.TestId("budget-save").ClickAsync();
        await Expect(console.TestId("budget-bar-" + name)).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_finops_user_sees_each_budget_as_one_bar_with_its_rate_and_why_requests_were_refused()
    {
        var console = await browser.OpenAsync("/budgets");
        await AddBudgetAsync(console, "All traffic, monthly", "0.05", strict: false);
        await AddBudgetAsync(console, "Hard ceiling", "0.003", strict: true);
        await Expect(console.TestId("strict-Hard ceiling")).ToHaveTextAsync("strict");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++)
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
            {
                model = "gpt-4.1",
                max_tokens = 300,
                messages = new[] { new { role = "user", content = "Draft a polite reply to a customer whose parcel arrived damaged." } },
            });
            statuses.Add(response.StatusCode);
        }

        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);

        // The page refreshes itself: the rate of spend and the refusals appear without a reload.
        await Expect(console.TestId("rate-All traffic, monthly")).ToContainTextAsync("/h", new() { Timeout = 10_000 });
        await Expect(console.TestId("rate-All traffic, monthly")).ToContainTextAsync("at this rate the budget lasts");
        await Expect(console.TestId("refusals-list")).ToContainTextAsync("Hard ceiling");
        await Expect(console.TestId("budget-bar-Hard ceiling")).ToHaveAttributeAsync("data-state", "exhausted");
        Assert.Empty(console.Errors);

        // The alerts' snackbars are closed so the screenshots show the page itself.
        foreach (var close in await console.Page.Locator(".mud-snackbar button").AllAsync())
        {
            await close.ClickAsync();
        }

        await Expect(console.Page.Locator(".mud-snackbar")).ToHaveCountAsync(0);
        await console.ScreenshotAsync("budgets-desktop");
        await console.Page.SetViewportSizeAsync(390, 844);
        await console.ScreenshotAsync("budgets-mobile");
    }
}
