using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class RequestViewFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_finops_user_finds_a_request_by_a_word_saves_the_view_and_reopens_it_from_the_menu_with_the_same_filters_and_rows()
    {
        var word = "invoice" + string.Concat(Guid.NewGuid().ToString("N")[..8].Select(c => (char)('a' + Convert.ToInt32(c.ToString(), 16))));
        var user = "buyer-" + word;
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        var ids = new List<string>();
        foreach (var (prompt, who) in new[] { ($"Send me {word} again, the total looks wrong.", user), ($"Is {word} already paid?", "someone-else"), ("Where is my order?", user) })
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", user = who, messages = new[] { new { role = "user", content = prompt } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            ids.Add(response.Headers.GetValues("x-costconsole-request-id").Single());
        }

        var console = await browser.OpenAsync("/requests");
        await Expect(console.TestId("request-id").First).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await console.Input("requests-text").FillAsync(word);
        await console.Input("requests-text").PressAsync("Enter");
        await Expect(console.TestId("request-id")).ToHaveCountAsync(2);
        await console.Input("requests-user").FillAsync(user);
        await console.Input("requests-user").PressAsync("Enter");

        await Expect(console.Page).ToHaveURLAsync(new Regex($@"/requests\?text={word}&user={user}$"));
        await Expect(console.TestId("request-id")).ToHaveCountAsync(1);
        await Expect(console.TestId("request-id")).ToHaveAttributeAsync("data-request-id", ids[0]);
        await Expect(console.TestId("request-prompt")).ToHaveTextAsync($"user: Send me {word} again, the total looks wrong.");

        // At 1440 px cost, baseline and latency are in view without scrolling the list sideways.
        await console.ScreenshotAsync("requests-view-desktop");
        await AssertInViewAsync(console, "request-cost", "request-baseline", "request-latency", "request-prompt");
        var sideways = await console.Page.EvaluateAsync<int>("() => { const c = document.querySelector(\"[data-testid='requests-grid'] .mud-table-container\"); return c.scrollWidth - c.clientWidth; }");
        Assert.True(sideways <= 0, $"The request list scrolls {sideways} px sideways at 1440 px.");

        await console.TestId("save-view").ClickAsync();
        await console.Input("save-view-name").FillAsync("Invoice questions of one buyer");
        await console.TestId("save-view-confirm").ClickAsync();
        var link = console.TestId("saved-view-link").Filter(new() { HasText = "Invoice questions of one buyer" });
        await Expect(link).ToBeVisibleAsync();

        // Elsewhere, then back through the menu: the same filters, and the same one request.
        await console.TestId("nav-").First.ClickAsync();
        await Expect(console.Page).ToHaveURLAsync(new Regex("/$"));
        await link.ClickAsync();
        await Expect(console.Page).ToHaveURLAsync(new Regex($@"/requests\?text={word}&user={user}$"));
        await Expect(console.Input("requests-text")).ToHaveValueAsync(word);
        await Expect(console.Input("requests-user")).ToHaveValueAsync(user);
        await Expect(console.TestId("request-id")).ToHaveCountAsync(1);
        await Expect(console.TestId("request-id")).ToHaveAttributeAsync("data-request-id", ids[0]);
        Assert.True(console.Errors.Count == 0, string.Join(Environment.NewLine, console.Errors));

        // On a phone each request is a card that still shows its cost, and the page is no wider than the phone.
        await console.Page.SetViewportSizeAsync(390, 844);
        await console.Page.WaitForFunctionAsync("() => document.documentElement.scrollWidth <= window.innerWidth", null, new() { Timeout = 10_000 });
        await Expect(console.TestId("request-cost")).ToBeVisibleAsync();
        await Expect(console.TestId("request-prompt")).ToBeHiddenAsync();
        await console.ScreenshotAsync("requests-view-mobile");
    }

    private static async Task AssertInViewAsync(ConsolePage console, params string[] testIds)
    {
        var width = console.Page.ViewportSize!.Width;
        foreach (var id in testIds)
        {
            var box = await console.TestId(id).First.BoundingBoxAsync();
            Assert.True(box is not null && box.X >= 0 && box.X + box.Width <= width, $"'{id}' is not inside the {width} px window: {box?.X}+{box?.Width}.");
        }
    }
}
