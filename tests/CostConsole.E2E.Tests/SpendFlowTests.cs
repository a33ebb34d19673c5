using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class SpendFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_finops_user_ranks_the_day_by_model_switches_to_teams_and_the_address_keeps_the_view()
    {
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        foreach (var prompt in new[] { "Where is my order?", "Draft a polite reply to a customer whose parcel arrived damaged.", "Prove that there are infinitely many primes, step by step." })
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var console = await browser.OpenAsync("/spend?range=24h&by=model");
        await Expect(console.TestId("spend-name").First).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Expect(console.TestId("spend-summary")).ToContainTextAsync("spent over the last 24 hours");

        await console.TestId("spend-by-team").ClickAsync();
        await Expect(console.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("by=team"));
        await Expect(console.TestId("spend-table")).ToContainTextAsync("Team");
        Assert.Empty(console.Errors);

        await Expect(console.TestId("spend-by-team")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("mud-button-filled"));
        await console.ScreenshotAsync("spend-desktop");
        await console.Page.SetViewportSizeAsync(390, 844);
        var overflow = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"The page is {overflow} px wider than a 390 px phone.");
        await console.ScreenshotAsync("spend-mobile");
    }

    [Fact]
    public async Task The_focus_file_downloads_from_the_spend_page_with_its_columns_and_charge_lines()
    {
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        using (var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "What are your opening hours?" } } }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var console = await browser.OpenAsync("/spend?range=24h&by=team");
        await Expect(console.TestId("spend-exports")).ToContainTextAsync("whole UTC days");

        var download = await console.Page.RunAndWaitForDownloadAsync(() => console.TestId("spend-export-focus").ClickAsync());
        var path = await download.PathAsync();
        var lines = await File.ReadAllLinesAsync(path!);

        Assert.StartsWith("costconsole-focus-", download.SuggestedFilename, StringComparison.Ordinal);
        Assert.StartsWith("BilledCost,BillingAccountId,BillingAccountName,BillingCurrency,", lines[0], StringComparison.Ordinal);
        Assert.True(lines.Length > 1, "The file has no charge line.");
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task A_finops_user_prices_the_default_month_then_a_mix_that_does_not_add_up_is_refused()
    {
        var console = await browser.OpenAsync("/what-if");
        await Expect(console.TestId("whatif-summary")).ToContainTextAsync("The current tier mapping costs", new() { Timeout = 10_000 });
        await Expect(console.TestId("chart-whatif")).ToBeVisibleAsync();
        await console.ScreenshotAsync("whatif-desktop");

        await console.Page.Locator("input[data-testid='whatif-share']").First.FillAsync("60");
        await console.Page.Locator("input[data-testid='whatif-share']").First.PressAsync("Tab");
        await console.TestId("whatif-calculate").ClickAsync();
        await Expect(console.TestId("whatif-error")).ToContainTextAsync("The shares add up to 130 %");

        await console.TestId("whatif-reset").ClickAsync();
        await Expect(console.TestId("whatif-error")).ToHaveCountAsync(0);
        Assert.Empty(console.Errors);

        await console.Page.SetViewportSizeAsync(390, 844);

        // The chart redraws at the new width a moment after the resize; the page must then fit the phone.
        try
        {
            await console.Page.WaitForFunctionAsync("() => document.documentElement.scrollWidth <= window.innerWidth", null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
        }

        await console.ScreenshotAsync("whatif-mobile");
        var overflow = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        var widest = await console.Page.EvaluateAsync<string>("() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')");
        Assert.True(overflow <= 0, $"The page is {overflow} px wider than a 390 px phone: {widest}");
    }
}
