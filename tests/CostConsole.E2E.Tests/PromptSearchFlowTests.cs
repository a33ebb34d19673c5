using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class PromptSearchFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_finops_user_finds_a_request_by_a_word_of_its_prompt()
    {
        var word = "parcel" + string.Concat(Guid.NewGuid().ToString("N")[..8].Select(c => (char)('a' + Convert.ToInt32(c.ToString(), 16))));
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        string? wanted = null;
        foreach (var prompt in new[] { "Where is my order?", $"My {word} arrived damaged, please send a new one.", "What are your opening hours?" })
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            wanted = prompt.Contains(word, StringComparison.Ordinal) ? response.Headers.GetValues("x-costconsole-request-id").Single() : wanted;
        }

        var console = await browser.OpenAsync("/requests");
        await Expect(console.TestId("request-id").First).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await console.Input("requests-text").FillAsync(word + " damaged");
        await console.Input("requests-text").PressAsync("Enter");

        await Expect(console.TestId("request-id")).ToHaveCountAsync(1);
        await Expect(console.TestId("request-id")).ToHaveAttributeAsync("data-request-id", wanted!);
        Assert.Empty(console.Errors);
        await console.ScreenshotAsync("requests-search-desktop");

        await console.Page.SetViewportSizeAsync(390, 844);
        await console.ScreenshotAsync("requests-search-mobile");

        await console.TestId("request-id").ClickAsync();
        await Expect(console.TestId("request-trace")).ToContainTextAsync(word);
    }
}
