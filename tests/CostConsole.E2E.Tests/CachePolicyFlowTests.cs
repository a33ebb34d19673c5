using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>The Cache page's policies: a rule's threshold set from the threshold check's curve, and the break-even hit rate.</summary>
public sealed class CachePolicyFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task An_admin_sets_a_rules_threshold_from_the_curve_and_the_policy_list_shows_it_in_force_after_a_reload()
    {
        var console = await browser.OpenAsync("/cache");
        await console.TestId("cache-toggle").ClickAsync();
        await Expect(console.TestId("cache-toggle-note")).ToBeVisibleAsync();
        using (var http = new HttpClient { BaseAddress = browser.BaseAddress })
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
            foreach (var prompt in new[] { "How do I export my contacts?", "How do I export my contacts?", "Is there a mobile app for the CRM?" })
            {
                using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } });
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        var pairs = Path.Combine(Path.GetTempPath(), $"cache-policy-pairs-{Guid.NewGuid():N}.csv");
        await File.WriteAllTextAsync(pairs, """
            prompt_a,prompt_b,same_answer
            How do I reset my password?,How can I reset my password?,true
            How do I cancel my subscription?,How can I cancel my subscription?,true
            How long does delivery take?,How long does shipping take?,true
            How do I turn on two-factor authentication?,How do I turn off two-factor authentication?,false
            """);
        await console.Page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await Expect(console.TestId("cache-break-even-time")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^(\d+\.\d%|never)$"));
        await Expect(console.TestId("cache-break-even-money")).ToHaveTextAsync("0.0%");
        await console.TestId("threshold-check").Locator("input[type=file]").Last.SetInputFilesAsync(pairs);
        await Expect(console.TestId("threshold-summary")).ToContainTextAsync("4 pairs", new() { Timeout = 60_000 });

        await Expect(console.TestId("threshold-target-now")).ToContainTextAsync("the default policy: 0.9 in force");
        await console.TestId("threshold-target-faq-and-status").ClickAsync();
        await Expect(console.TestId("threshold-target-now")).ToContainTextAsync("rule faq-and-status: 0.9 in force");
        await console.TestId("use-threshold-0.93").ClickAsync();

        await Expect(console.TestId("threshold-chosen")).ToHaveTextAsync("Rule faq-and-status now serves paraphrases at similarity 0.93 or more.");
        await Expect(console.TestId("threshold-0.93")).ToContainTextAsync("in force");
        await Expect(console.TestId("cache-policy-faq-and-status")).ToContainTextAsync("similarity ≥ 0.93");
        await Expect(console.TestId("cache-policy-default")).ToContainTextAsync("similarity ≥ 0.9)");
        Assert.Empty(console.Errors);
        await console.ScreenshotAsync("cache-policy-desktop");
        await console.Page.SetViewportSizeAsync(390, 844);
        await console.ScreenshotAsync("cache-policy-mobile");
        Assert.True(await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth") <= 390, "The Cache page scrolls sideways on a phone.");
        await ConsoleBrowser.DesktopAsync(console.Page);

        await console.Page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await Expect(console.TestId("cache-policy-faq-and-status")).ToContainTextAsync("similarity ≥ 0.93");
        await Expect(console.TestId("cache-policies-origin")).ToContainTextAsync("Saved in the console by " + ConsoleBrowser.AdminEmail);

        // The editor: the rule's policy edited by hand, a bad value refused, a good one saved.
        await console.TestId("cache-policy-edit-faq-and-status").ClickAsync();
        await console.Input("policy-threshold").FillAsync("1.5");
        await console.TestId("cache-policy-save").ClickAsync();
        await Expect(console.TestId("cache-policy-problem")).ToContainTextAsync("must be above 0 and at most 1");
        await console.Input("policy-threshold").FillAsync("0.95");
        await console.TestId("cache-policy-save").ClickAsync();
        await Expect(console.TestId("cache-policy-faq-and-status")).ToContainTextAsync("similarity ≥ 0.95");
        Assert.Empty(console.Errors);
    }
}
