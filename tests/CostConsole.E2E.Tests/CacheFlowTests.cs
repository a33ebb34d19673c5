using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class CacheFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private async Task<string> AskAsync(HttpClient http, string prompt)
    {
        using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("x-costconsole-cache").Single();
    }

    [Fact]
    public async Task An_admin_turns_the_cache_on_sees_the_stored_answers_with_their_hits_and_savings_and_purges_them()
    {
        var console = await browser.OpenAsync("/cache");
        await Expect(console.TestId("cache-empty")).ToContainTextAsync("Turn the cache on");
        await console.TestId("cache-toggle").ClickAsync();
        await Expect(console.TestId("cache-toggle-note")).ToContainTextAsync("until the next restart");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        Assert.Equal("miss", await AskAsync(http, "How do I export my contacts?"));
        Assert.Equal("semantic", await AskAsync(http, "How can I export my contacts?"));
        Assert.Equal("miss", await AskAsync(http, "Is there a mobile app for the CRM?"));
        Assert.Equal("exact", await AskAsync(http, "Is there a mobile app for the CRM?"));

        await console.Page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await Expect(console.TestId("cache-entry-prompt")).ToHaveCountAsync(2);
        await Expect(console.TestId("cache-hit-rate")).ToHaveTextAsync("50.0%");
        await Expect(console.TestId("cache-saved")).Not.ToHaveTextAsync("$0.00");
        Assert.Empty(console.Errors);
        await console.ScreenshotAsync("cache-desktop");
        await console.Page.SetViewportSizeAsync(390, 844);
        await console.ScreenshotAsync("cache-mobile");
        await ConsoleBrowser.DesktopAsync(console.Page);

        await console.Input("cache-search").FillAsync("mobile app");
        await Expect(console.TestId("cache-entry-prompt")).ToHaveCountAsync(1);
        await console.TestId("purge-entry").ClickAsync();
        // The purge is done once the search no longer finds the entry; only then is the whole list read again.
        await Expect(console.TestId("cache-entry-prompt")).ToHaveCountAsync(0);
        await console.Input("cache-search").FillAsync("");
        await Expect(console.TestId("cache-entry-prompt")).ToHaveCountAsync(1);
        await Expect(console.TestId("cache-entry-prompt")).ToContainTextAsync("export my contacts");
        Assert.Equal("miss", await AskAsync(http, "Is there a mobile app for the CRM?"));

        await console.Page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await console.TestId("purge-all").ClickAsync();
        await console.Page.GetByRole(AriaRole.Dialog).GetByRole(AriaRole.Button, new() { Name = "Purge all" }).ClickAsync();
        await Expect(console.TestId("cache-empty")).ToContainTextAsync("No entries yet");
        Assert.Equal("miss", await AskAsync(http, "How can I export my contacts?"));
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task The_threshold_check_shows_precision_and_recall_with_intervals_for_uploaded_pairs_and_refuses_a_bad_file()
    {
        var console = await browser.OpenAsync("/cache");
        var pairs = Path.Combine(Path.GetTempPath(), $"cache-pairs-{Guid.NewGuid():N}.csv");
        var bad = Path.Combine(Path.GetTempPath(), $"cache-pairs-bad-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(pairs, """
            prompt_a,prompt_b,same_answer
            How do I reset my password?,How can I reset my password?,true
            How do I cancel my subscription?,How can I cancel my subscription?,true
            How long does delivery take?,How long does shipping take?,true
            How do I turn on two-factor authentication?,How do I turn off two-factor authentication?,false
            Is the premium plan refundable?,Is the premium plan not refundable?,false
            "What is 15% of 200?","What is 15% of 300?",false
            """);
        await File.WriteAllTextAsync(bad, "prompt_a,prompt_b,same_answer\nWhere is my parcel?,Where's my parcel?,maybe\n");

        await console.TestId("threshold-check").Locator("input[type=file]").Last.SetInputFilesAsync(bad);
        await Expect(console.TestId("threshold-error")).ToContainTextAsync("Line 2: same_answer is 'maybe'; write true or false.");
        await console.TestId("threshold-check").Locator("input[type=file]").Last.SetInputFilesAsync(pairs);

        // Twelve prompts are embedded on the way: on a loaded machine that can take longer than the default five seconds.
        await Expect(console.TestId("threshold-summary")).ToContainTextAsync("6 pairs", new() { Timeout = 60_000 });
        await Expect(console.TestId("threshold-summary")).ToContainTextAsync("the content gate refuses 3");
        await Expect(console.TestId("precision-0.90")).ToHaveTextAsync("100.0% (34.2–100.0%)");
        await Expect(console.TestId("recall-0.90")).ToContainTextAsync("66.7%");
        await Expect(console.TestId("threshold-0.90")).ToContainTextAsync("in force");
        Assert.Empty(console.Errors);
        await console.TestId("threshold-check").ScreenshotAsync(new() { Path = Path.Combine(ConsoleBrowser.ScreenshotFolder, "cache-threshold-check.png") });
    }
}
