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
}
