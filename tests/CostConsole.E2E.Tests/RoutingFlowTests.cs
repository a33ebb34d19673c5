using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class RoutingFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private async Task<HttpResponseMessage> AskAsync(string prompt)
    {
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        return await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
    }

    [Fact]
    public async Task An_admin_adds_a_rule_to_the_draft_checks_it_on_the_bench_publishes_it_and_traffic_follows()
    {
        const string prompt = "My blender broke, is it still under warranty?";
        using (var before = await AskAsync(prompt))
        {
            Assert.Equal("medium", before.Headers.GetValues("x-costconsole-tier").Single());
        }

        var console = await browser.OpenAsync("/routing");
        var page = console.Page;

        await console.OpenFormAsync("add-rule", "rule-name");
        await console.TestId("rule-name").FillAsync("warranty-claims");
        await console.TestId("condition-0-keywords").FillAsync("warranty, guarantee");
        await Expect(console.TestId("rule-summary")).ToHaveTextAsync("contains any of warranty, guarantee → small");
        await console.TestId("rule-save").ClickAsync();
        await Expect(console.TestId("rule-warranty-claims")).ToBeVisibleAsync();
        await Expect(console.TestId("unpublished")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "Test bench" }).ClickAsync();
        await console.TestId("bench-prompt").FillAsync(prompt);
        await console.TestId("bench-run").ClickAsync();
        await Expect(console.TestId("bench-draft").Locator("[data-testid=trace-tier]")).ToHaveTextAsync("small");
        await Expect(console.TestId("bench-published").Locator("[data-testid=trace-tier]")).ToHaveTextAsync("medium");
        await console.ScreenshotAsync("routing-bench");

        await console.TestId("publish").ClickAsync();
        await Expect(page.Locator(".mud-dialog [data-testid=diff]")).ToContainTextAsync("warranty-claims");
        await console.TestId("publish-note").FillAsync("warranty questions are simple: small tier");
        await console.TestId("publish-confirm").ClickAsync();
        await Expect(page.GetByText("Version 2 is live.")).ToBeVisibleAsync();
        await Expect(console.TestId("unpublished")).ToHaveCountAsync(0);

        using var after = await AskAsync(prompt);
        Assert.Equal("small", after.Headers.GetValues("x-costconsole-tier").Single());
        Assert.Equal("warranty-claims", after.Headers.GetValues("x-costconsole-rule").Single());

        await page.GetByRole(AriaRole.Tab, new() { Name = "History" }).ClickAsync();
        await Expect(console.TestId("audit")).ToContainTextAsync("warranty questions are simple");
        await console.ScreenshotAsync("routing-history");
        Assert.Empty(console.Errors);
    }
}
