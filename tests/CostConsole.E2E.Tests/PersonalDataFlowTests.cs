using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class PersonalDataFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task An_admin_sets_a_keys_prompt_storage_to_redacted_and_the_explorer_shows_the_prompt_without_the_personal_data()
    {
        var console = await browser.OpenAsync("/keys");
        var page = console.Page;

        await console.OpenFormAsync("create-key", "key-name");
        await console.Input("key-name").FillAsync("crm-support");
        await console.Input("key-team").FillAsync("support");
        await console.TestId("key-prompt-storage").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Redacted: personal data replaced" }).First.ClickAsync();
        await Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
        await console.TestId("key-save").ClickAsync();
        var secret = (await console.TestId("new-key-secret").InnerTextAsync()).Trim();
        await Expect(console.TestId("prompt-storage-crm-support")).ToHaveTextAsync("redacted");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "auto",
            messages = new[] { new { role = "user", content = "I'm sam.lee@example.net, card 4539 1488 0343 6467 was charged twice. Refund please." } },
        });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();

        var requests = await browser.OpenAsync("/requests");
        await requests.Page.Locator($"[data-request-id='{requestId}']").ClickAsync();
        await Expect(requests.TestId("trace-prompt")).ToHaveTextAsync("user: I'm [EMAIL], card [CARD] was charged twice. Refund please.");
        await Expect(requests.TestId("trace-prompt-redacted")).ToContainTextAsync("personal data (email 1, card 1) was replaced by placeholders");
        await Expect(requests.TestId("trace-pii")).ToHaveTextAsync("email 1, card 1");
        await Expect(requests.TestId("request-drawer")).Not.ToContainTextAsync("sam.lee");
        await requests.TestId("trace-prompt").ScrollIntoViewIfNeededAsync();
        await requests.ScreenshotAsync("requests-redacted-prompt", fullPage: false);

        await requests.Page.SetViewportSizeAsync(390, 844);
        await requests.TestId("trace-prompt").ScrollIntoViewIfNeededAsync();
        await Expect(requests.TestId("trace-prompt")).ToBeInViewportAsync();
        await requests.ScreenshotAsync("requests-redacted-prompt-390", fullPage: false);

        Assert.Empty(console.Errors);
        Assert.Empty(requests.Errors);
    }

    [Fact]
    public async Task An_admin_erases_a_conversation_from_the_settings_page_and_its_prompt_is_gone_from_the_explorer()
    {
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "auto", messages = new[] { new { role = "user", content = "Please close my account, I am moving abroad." } } }),
        };
        request.Headers.Add("x-costconsole-conversation", "conv-e2e-erase");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();

        var console = await browser.OpenAsync("/settings");
        var page = console.Page;
        await Expect(console.TestId("privacy-storage")).ToContainTextAsync("Prompts are stored redacted by default");
        await Expect(console.TestId("privacy-storage")).ToContainTextAsync("deleted after 30 days");
        await console.TestId("erase-subject").ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "conversation id" }).First.ClickAsync();
        await Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
        await console.Input("erase-value").FillAsync("conv-e2e-erase");
        await console.TestId("erase").ClickAsync();
        await Expect(console.TestId("erase-result")).ToContainTextAsync("Erased: 1 ledger row(s) anonymised");
        await console.TestId("privacy").ScrollIntoViewIfNeededAsync();
        await console.ScreenshotAsync("settings-erasure", fullPage: false);

        var requests = await browser.OpenAsync("/requests?id=" + requestId);
        await Expect(requests.TestId("trace-prompt-hash")).ToContainTextAsync("Not stored");
        await Expect(requests.TestId("request-drawer")).Not.ToContainTextAsync("moving abroad");

        Assert.Empty(console.Errors);
        Assert.Empty(requests.Errors);
    }
}
