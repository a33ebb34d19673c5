using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class ConversationFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_finops_user_opens_a_conversation_from_the_spend_ranking_and_reads_its_turns_in_order()
    {
        var conversation = "conv-e2e-" + Guid.NewGuid().ToString("N")[..8];
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        http.DefaultRequestHeaders.Add("x-costconsole-conversation", conversation);
        foreach (var prompt in new[] { "Where is my order?", "It was due last Monday and the tracking page shows nothing.", "Analyze why deliveries to my region keep failing and propose a plan, step by step." })
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", user = "customer-e2e", messages = new[] { new { role = "user", content = prompt } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var console = await browser.OpenAsync("/spend?range=24h&by=conversation");
        var link = console.TestId("spend-conversation-link").Filter(new() { HasText = conversation });
        await Expect(link).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await link.ClickAsync();

        await Expect(console.Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/conversations/" + conversation + "$"));
        await Expect(console.TestId("turn-number")).ToHaveTextAsync(["1", "2", "3"]);
        await Expect(console.TestId("conversation-summary")).ToContainTextAsync("3 turns");
        await Expect(console.TestId("conversation-summary")).ToContainTextAsync("End user: customer-e2e");
        await Expect(console.TestId("chart-conversation")).ToHaveAttributeAsync("data-points", "6");
        Assert.Empty(console.Errors);
        await console.ScreenshotAsync("conversation-desktop");

        await console.Page.SetViewportSizeAsync(390, 844);
        try
        {
            // The chart redraws at the new width a moment after the resize.
            await console.Page.WaitForFunctionAsync("() => document.documentElement.scrollWidth <= window.innerWidth", null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
        }

        await console.ScreenshotAsync("conversation-mobile");
        var overflow = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"The page is {overflow} px wider than a 390 px phone.");

        await console.TestId("turn-number").Last.ClickAsync();
        await Expect(console.TestId("trace-end-user")).ToHaveTextAsync("customer-e2e");
    }
}
