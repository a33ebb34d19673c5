using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class TrainingFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private const string SmallPrompt = "Has my gift box 4242 left the warehouse yet?";

    private const string LargePrompt = "Draft a migration plan for moving 4242 loyalty accounts onto the new billing platform, listing the risks and how to roll back.";

    private static readonly string[] Things = ["gift box", "parcel", "voucher", "card", "return label", "invoice"];

    /// <summary>
    /// Written for this test, in the per-model shape public routing sets use: whether a cheap model ("nano") and a
    /// strong one ("big") answered each prompt acceptably. The cheap one copes with shipment questions, not with plans.
    /// </summary>
    private static byte[] LabelledJsonLines()
    {
        var lines = new StringBuilder();
        for (var i = 0; i < 120; i++)
        {
            var thing = Things[i % Things.Length];
            var plan = i % 2 == 1;
            var prompt = plan
                ? $"Draft a migration plan for moving {i} {thing} accounts onto the new billing platform, listing the risks and how to roll back."
                : $"Has my {thing} {i} left the warehouse yet?";
            lines.Append($"{{\"prompt\": \"{prompt}\", \"nano\": {(plan ? "false" : "true")}, \"big\": true}}\n");
        }

        return Encoding.UTF8.GetBytes(lines.ToString());
    }

    [Fact]
    public async Task An_admin_trains_a_router_from_a_file_picks_the_operating_point_saves_it_into_the_draft_publishes_and_requests_follow_it()
    {
        var console = await browser.OpenAsync("/routing");
        var page = console.Page;

        await page.GetByRole(AriaRole.Tab, new() { Name = "Training" }).ClickAsync();
        await Expect(console.TestId("training-empty")).ToBeVisibleAsync();
        await console.Input("training-tier-models").FillAsync("small=nano,large=big");
        await console.Input("training-tier-models").PressAsync("Tab");
        await page.Locator("[data-testid='training-upload'] input[type=file], input[type=file][data-testid='training-upload']").First
            .SetInputFilesAsync(new FilePayload { Name = "shipments.jsonl", MimeType = "application/x-ndjson", Buffer = LabelledJsonLines() });
        await Expect(console.TestId("training-file-summary")).ToContainTextAsync("120 labelled prompts in shipments.jsonl");
        await console.Input("training-name").FillAsync("shipments");
        await console.TestId("training-run").ClickAsync();

        await Expect(console.TestId("training-result")).ToBeVisibleAsync(new() { Timeout = 120_000 });
        await Expect(console.TestId("metric-auroc-small|large")).ToContainTextAsync(new Regex(@"AUROC small \| large\s*[01]\.\d{3}"));
        await Expect(console.TestId("chart-router-curve")).ToHaveAttributeAsync("data-points", new Regex("^[1-9][0-9]*$"));
        await Expect(console.TestId("chart-router-curve").Locator(".apexcharts-series path").First).ToBeAttachedAsync();

        // The operating point: set by dragging the slider's value, then fine-tuned from the keyboard.
        var slider = console.TestId("training-target");
        await slider.FillAsync("14");
        await Expect(console.TestId("projected-target")).ToHaveTextAsync("0.75");
        await slider.PressAsync("ArrowRight");
        await Expect(console.TestId("projected-target")).ToHaveTextAsync("0.80");
        await Expect(console.TestId("projected-shares")).ToContainTextAsync(new Regex(@"small \d+\.\d % · large \d+\.\d %"));

        await console.ScreenshotAsync("routing-training");
        await ConsoleBrowser.PhoneAsync(page);
        await page.WaitForFunctionAsync("() => { const svg = document.querySelector(\"[data-testid='chart-router-curve'] svg\"); return svg && svg.getBoundingClientRect().right <= window.innerWidth; }");
        await console.ScreenshotAsync("routing-training-phone");
        await ConsoleBrowser.DesktopAsync(page);

        await console.TestId("training-save").ClickAsync();
        // Saving compiles the draft with the new model: slower than five seconds on a loaded machine.
        await Expect(console.TestId("training-saved")).ToContainTextAsync("Stored as shipments@1", new() { Timeout = 30_000 });
        await Expect(console.TestId("unpublished")).ToBeVisibleAsync();

        await console.TestId("publish").ClickAsync();
        await Expect(page.Locator(".mud-dialog [data-testid=diff]")).ToContainTextAsync("Trained shipments@1, quality target 0.80");
        await console.TestId("publish-note").FillAsync("router trained on shipment questions and migration plans");
        await console.TestId("publish-confirm").ClickAsync();
        await Expect(page.GetByText("Version 2 is live.")).ToBeVisibleAsync();

        await page.GotoAsync(new Uri(browser.BaseAddress, "/playground").ToString());
        await ConsoleBrowser.WaitUntilInteractiveAsync(page);
        var message = page.Locator("textarea[data-testid='turn-1'], [data-testid='turn-1'] textarea").First;
        await message.FillAsync(LargePrompt);
        await message.PressAsync("Control+Enter");
        await Expect(console.TestId("trace-reason")).ToContainTextAsync("trained shipments@1: P(acceptable) small ");
        await Expect(console.TestId("trace-tier")).ToHaveTextAsync(new Regex("^large"));

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        using var answer = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = SmallPrompt } } });
        Assert.Equal("small", answer.Headers.GetValues("x-costconsole-tier").Single());
        Assert.Empty(console.Errors);
    }
}
