using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>Batch spend, what the batch price saved and what provider caching saved, on the dashboard after a batch and a repeated long system prompt.</summary>
public sealed class DiscountDashboardFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task The_dashboard_shows_batch_spend_and_what_the_batch_price_and_provider_caching_saved()
    {
        var cancellation = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);

        // A long system prompt sent twice: the simulated provider reads it from its prompt cache the second time.
        var system = string.Concat(Enumerable.Repeat("You answer questions about the CRM's contacts, deals and invoices in plain words. ", 150));
        foreach (var question in new[] { "How do I merge two contacts?", "How do I close a deal?" })
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new object[] { new { role = "system", content = system }, new { role = "user", content = question } } }, cancellation);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var lines = string.Join('\n', Enumerable.Range(1, 3).Select(i => JsonSerializer.Serialize(new
        {
            custom_id = $"ticket-{i}",
            method = "POST",
            url = "/v1/chat/completions",
            body = new { model = "auto", messages = new[] { new { role = "user", content = $"Summarise support ticket {i}: the invoice was sent twice." } } },
        }))) + "\n";
        using var form = new MultipartFormDataContent { { new StringContent("batch"), "purpose" }, { new ByteArrayContent(Encoding.UTF8.GetBytes(lines)), "file", "tickets.jsonl" } };
        using var uploaded = await http.PostAsync("/v1/files", form, cancellation);
        Assert.Equal(HttpStatusCode.OK, uploaded.StatusCode);
        var fileId = (await uploaded.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("id").GetString();
        using var created = await http.PostAsJsonAsync("/v1/batches", new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }, cancellation);
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        var batchId = (await created.Content.ReadFromJsonAsync<JsonElement>(cancellation)).GetProperty("id").GetString();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? status = null;
        while (status != "completed" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250, cancellation);
            status = (await http.GetFromJsonAsync<JsonElement>($"/v1/batches/{batchId}", cancellation)).GetProperty("status").GetString();
        }

        Assert.Equal("completed", status);

        var dashboard = await browser.OpenAsync("/?range=24h");
        await Expect(dashboard.TestId("card-batch-spend-note")).ToContainTextAsync("3 batch lines in the last 24 hours");
        await Expect(dashboard.TestId("card-batch-spend-value")).Not.ToHaveTextAsync("$0");
        // The simulated models carry OpenAI's batch discount (half the interactive price) on the lines' tokens.
        await Expect(dashboard.TestId("card-batch-saved-value")).Not.ToHaveTextAsync("$0");
        await Expect(dashboard.TestId("card-batch-saved-note")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^\d+\.\d % off the interactive price of the batch lines in the last 24 hours$"));
        await Expect(dashboard.TestId("card-caching-saved-value")).Not.ToHaveTextAsync("$0");
        await Expect(dashboard.TestId("card-caching-saved-note")).ToContainTextAsync("input tokens read from provider caches in the last 24 hours");
        await dashboard.TestId("discount-cards").ScrollIntoViewIfNeededAsync();
        await dashboard.ScreenshotAsync("dashboard-discount-cards", fullPage: false);
        await dashboard.Page.SetViewportSizeAsync(390, 844);
        await dashboard.TestId("card-caching-saved").ScrollIntoViewIfNeededAsync();
        await Expect(dashboard.TestId("card-caching-saved")).ToBeVisibleAsync();
        await dashboard.ScreenshotAsync("dashboard-discount-cards-390", fullPage: false);
        Assert.Empty(dashboard.Errors);
    }
}
