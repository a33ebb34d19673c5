using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class ShadowFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly string[] Things = ["gift box", "parcel", "voucher", "card"];

    /// <summary>Written for this test: the cheapest acceptable tier of shipment questions (small) and migration plans (large).</summary>
    private static byte[] LabelledCsv()
    {
        var csv = new StringBuilder("prompt,tier\n");
        for (var i = 0; i < 120; i++)
        {
            var thing = Things[i % Things.Length];
            csv.Append(i % 2 == 1
                ? $"\"Draft a migration plan for moving {i} {thing} accounts onto the new billing platform, listing the risks and how to roll back.\",large\n"
                : $"Has my {thing} {i} left the warehouse yet?,small\n");
        }

        return Encoding.UTF8.GetBytes(csv.ToString());
    }

    [Fact]
    public async Task An_admin_trains_a_router_puts_it_in_shadow_and_sees_how_often_it_agrees_with_the_published_one_on_live_traffic()
    {
        var console = await browser.OpenAsync("/routing");
        var page = console.Page;

        await page.GetByRole(AriaRole.Tab, new() { Name = "Models" }).ClickAsync();
        await Expect(console.TestId("shadow-empty")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { Name = "Training" }).ClickAsync();
        await page.Locator("[data-testid='training-upload'] input[type=file], input[type=file][data-testid='training-upload']").First
            .SetInputFilesAsync(new FilePayload { Name = "shipments.csv", MimeType = "text/csv", Buffer = LabelledCsv() });
        await Expect(console.TestId("training-file-summary")).ToContainTextAsync("120 labelled prompts in shipments.csv");
        await console.Input("training-name").FillAsync("shipments");
        await console.TestId("training-run").ClickAsync();
        await Expect(console.TestId("training-result")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await console.TestId("training-save").ClickAsync();
        await Expect(console.TestId("training-saved")).ToContainTextAsync("Stored as shipments@1");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Models" }).ClickAsync();
        await Expect(console.TestId("model-shipments@1")).ToBeVisibleAsync();
        await Expect(console.TestId("model-use-shipments@1")).ToHaveTextAsync("draft");
        await console.TestId("model-shadow-shipments@1").ClickAsync();
        await Expect(console.TestId("models-message")).ToContainTextAsync("shipments@1 is in shadow");
        await Expect(console.TestId("model-use-shipments@1")).ToContainTextAsync("shadow");
        await console.ScreenshotAsync("routing-models");

        await Expect(console.TestId("shadow-model")).ToHaveTextAsync("shipments@1 in shadow");
        await Expect(console.TestId("shadow-no-traffic")).ToBeVisibleAsync();

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        for (var i = 0; i < 6; i++)
        {
            var prompt = i % 2 == 0
                ? $"Has my parcel {7000 + i} left the warehouse yet?"
                : $"Draft a migration plan for moving {7000 + i} card accounts onto the new billing platform, listing the risks and how to roll back.";
            using var answer = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
            Assert.True(answer.IsSuccessStatusCode);
        }

        await console.TestId("shadow-refresh").ClickAsync();
        await Expect(console.TestId("shadow-compared")).ToHaveTextAsync("6");
        await Expect(console.TestId("shadow-agreement")).ToHaveTextAsync(new Regex(@"^\d{1,3}\.\d %$"));
        await Expect(console.TestId("shadow-mix-small")).ToContainTextAsync("3 (50.0 %)");
        await Expect(console.TestId("shadow-mix-large")).ToContainTextAsync("3 (50.0 %)");
        await Expect(console.TestId("chart-shadow-mix").Locator(".apexcharts-series path").First).ToBeAttachedAsync();
        await console.ScreenshotAsync("routing-shadow");
        await page.SetViewportSizeAsync(390, 844);
        await page.WaitForFunctionAsync("() => { const svg = document.querySelector(\"[data-testid='chart-shadow-mix'] svg\"); return svg && svg.getBoundingClientRect().right <= window.innerWidth; }");
        await console.ScreenshotAsync("routing-shadow-phone");
        await ConsoleBrowser.DesktopAsync(page);

        await console.TestId("shadow-stop").ClickAsync();
        await Expect(console.TestId("shadow-state")).ToHaveTextAsync("stopped");
        await Expect(console.TestId("shadow-stop")).ToHaveCountAsync(0);
        Assert.Empty(console.Errors);
    }
}
