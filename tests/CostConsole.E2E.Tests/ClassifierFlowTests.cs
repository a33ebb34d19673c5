using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class ClassifierFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task An_admin_turns_on_the_semantic_classifier_with_MiniLM_publishes_it_and_a_paraphrase_of_an_example_follows()
    {
        const string prompt = "My package still hasn't shown up, can you check on it?";
        var console = await browser.OpenAsync("/routing");
        var page = console.Page;

        await page.GetByRole(AriaRole.Tab, new() { Name = "Classifier" }).ClickAsync();
        await page.GetByText("Semantic (nearest examples)").ClickAsync();
        await Expect(console.TestId("vectoriser-help")).ToContainTextAsync("MiniLM");
        await console.TestId("examples-small").FillAsync("Where is my parcel?\nHow do I reset my password?\nWhat are your opening hours?");
        await console.TestId("examples-medium").FillAsync("Summarise this customer email in three bullet points.\nRewrite this paragraph in a friendlier tone.");
        await console.TestId("examples-large").FillAsync("Analyse our quarterly churn data and explain why retention dropped, step by step.");
        await console.TestId("classifier-save").ClickAsync();

        // Saving compiles the draft, and the first MiniLM rule set loads the model (a few seconds on a busy machine).
        await Expect(console.TestId("unpublished")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        var saved = console.TestId("classifier-saved");
        await Expect(saved).ToContainTextAsync("→ semantic");
        await Expect(saved).ToContainTextAsync("small examples: 3 added, 0 removed (3 now)");
        await saved.ScrollIntoViewIfNeededAsync();
        await console.ScreenshotAsync("routing-classifier-saved-1440", fullPage: false);
        await page.SetViewportSizeAsync(390, 844);
        await saved.ScrollIntoViewIfNeededAsync();
        await console.ScreenshotAsync("routing-classifier-saved-390", fullPage: false);
        await ConsoleBrowser.DesktopAsync(page);

        await console.TestId("publish").ClickAsync();
        await console.TestId("publish-note").FillAsync("semantic classifier with local MiniLM embeddings");
        await console.TestId("publish-confirm").ClickAsync();
        await Expect(page.GetByText("Version 2 is live.")).ToBeVisibleAsync();
        await Expect(console.TestId("live-vectoriser")).ToContainTextAsync("vectoriser MiniLM, 6 example prompt(s)");
        await console.ScreenshotAsync("routing-classifier-minilm");

        // The test bench's trace names the two scores: which one the threshold checks.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Test bench" }).ClickAsync();
        await console.TestId("bench-prompt").FillAsync(prompt);
        await console.TestId("bench-run").ClickAsync();
        var reason = console.TestId("bench-result").Locator("[data-testid='trace-reason']").First;
        await Expect(reason).ToContainTextAsync("by vote share", new() { Timeout = 30_000 });
        await Expect(reason).ToContainTextAsync("; nearest example 'Where is my parcel?', similarity");
        await Expect(console.TestId("trace-score-meaning").First).ToContainTextAsync("the threshold is compared with the nearest example's similarity");
        await console.ScreenshotAsync("routing-bench-trace-1440", fullPage: false);
        await page.SetViewportSizeAsync(390, 844);
        await reason.ScrollIntoViewIfNeededAsync();
        await console.ScreenshotAsync("routing-bench-trace-390", fullPage: false);
        await ConsoleBrowser.DesktopAsync(page);

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        using var answer = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
        Assert.Equal("small", answer.Headers.GetValues("x-costconsole-tier").Single());
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task An_admin_adds_labelled_prompts_as_examples_reads_the_threshold_curve_and_uses_the_suggested_threshold()
    {
        var console = await browser.OpenAsync("/routing");
        var page = console.Page;

        await page.GetByRole(AriaRole.Tab, new() { Name = "Classifier" }).ClickAsync();
        await page.GetByText("Semantic (nearest examples)").ClickAsync();
        await console.TestId("classifier-labelled").FillAsync(string.Join('\n',
            "prompt,tier",
            "Can I change my delivery address?,small",
            "How do I update my card details?,small",
            "Summarise this support ticket in two sentences.,medium",
            "\"Analyse our quarterly churn data, then explain why retention dropped.\",large"));
        await console.TestId("classifier-import").ClickAsync();
        await Expect(console.TestId("classifier-imported")).ToContainTextAsync("Added 4 example prompt(s): 2 to small, 1 to medium, 1 to large");
        // Added after any examples the draft already has (another test may have published some).
        await Expect(console.TestId("examples-small")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex("(^|\n)Can I change my delivery address\\?\nHow do I update my card details\\?$"));

        // Paraphrases, not the examples themselves, show where the threshold belongs.
        await console.TestId("classifier-labelled").FillAsync(string.Join('\n',
            "I moved house so the parcel should go to my new address,small",
            "My card expired and I need to put in the new one,small",
            "Give me the gist of this ticket from a customer in a sentence or two,medium",
            "\"Dig into the churn numbers for the quarter, and tell me why we lost customers\",large",
            "What is the capital of France?,medium"));
        await console.TestId("classifier-suggest").ClickAsync();
        var suggested = console.TestId("classifier-suggested");
        await Expect(suggested).ToBeVisibleAsync(new() { Timeout = 60_000 });
        await Expect(console.TestId("chart-classifier-threshold")).ToHaveAttributeAsync("data-points", "203");
        var threshold = await suggested.InnerTextAsync();
        if (await console.TestId("classifier-use-suggested").IsEnabledAsync())
        {
            await console.TestId("classifier-use-suggested").ClickAsync();
        }

        await Expect(page.GetByText("Similarity threshold: " + threshold)).ToBeVisibleAsync();
        await Expect(console.TestId("classifier-use-suggested")).ToBeDisabledAsync();

        await ScrollToAsync(page, "classifier-suggestion");
        await console.ScreenshotAsync("routing-classifier-threshold-1440", fullPage: false);
        // On a phone the chart is drawn at the phone's width.
        await page.SetViewportSizeAsync(390, 844);
        await console.TestId("classifier-suggest").ClickAsync();
        await Expect(console.TestId("chart-classifier-threshold")).ToHaveAttributeAsync("data-points", "203", new() { Timeout = 60_000 });
        await ScrollToAsync(page, "chart-classifier-threshold");
        await console.ScreenshotAsync("routing-classifier-threshold-390", fullPage: false);
        await ConsoleBrowser.DesktopAsync(page);
        Assert.Empty(console.Errors);
    }

    /// <summary>Scrolls to the element as it is now: the panel re-renders while the curve is redrawn, so a handle found a moment earlier may be gone.</summary>
    private static Task ScrollToAsync(IPage page, string testId) =>
        page.EvaluateAsync("id => document.querySelector(`[data-testid='${id}']`)?.scrollIntoView({ block: 'center' })", testId);
}
