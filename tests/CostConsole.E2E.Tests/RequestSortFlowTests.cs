using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class RequestSortFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task The_request_list_is_ordered_by_a_column_title_reached_and_pressed_with_the_keyboard_and_the_order_stays_in_the_address()
    {
        var user = "sorter-" + Guid.NewGuid().ToString("N")[..8];
        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        foreach (var words in new[] { 1, 40, 8, 120 })
        {
            var prompt = "Where is my order? " + string.Join(' ', Enumerable.Repeat("The parcel was due last week.", words));
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", user, messages = new[] { new { role = "user", content = prompt } } });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        var console = await browser.OpenAsync($"/requests?user={user}");
        await Expect(console.TestId("request-id")).ToHaveCountAsync(4, new() { Timeout = 15_000 });
        var baselines = (await console.TestId("request-baseline").AllTextContentsAsync()).Select(t => t.Trim()).ToList();
        var highestFirst = baselines.OrderByDescending(Usd).ToArray();
        var lowestFirst = baselines.OrderBy(Usd).ToArray();
        Assert.True(Usd(highestFirst[0]) > Usd(highestFirst[^1]), "The four requests have different baselines.");

        // From the tokens title, Tab reaches the baseline title; Enter orders by baseline, highest first.
        await console.TestId("sort-tokens").FocusAsync();
        await console.Page.Keyboard.PressAsync("Tab");
        await Expect(console.TestId("sort-baseline")).ToBeFocusedAsync();
        await console.Page.Keyboard.PressAsync("Enter");

        await Expect(console.Page).ToHaveURLAsync(new Regex($@"/requests\?user={user}&sort=baseline$"));
        await Expect(console.TestId("sort-baseline")).ToHaveAttributeAsync("data-sort", "descending");
        await Expect(console.TestId("request-baseline")).ToHaveTextAsync(highestFirst);
        // A screen reader hears the order on the column's header cell, and no longer on the time column's.
        await Expect(console.TestId("requests-header-baseline")).ToHaveAttributeAsync("aria-sort", "descending");
        await Expect(console.TestId("requests-header-time")).ToHaveAttributeAsync("aria-sort", "none");
        await console.ScreenshotAsync("requests-sort-desktop");

        // Space on the same title reverses it.
        await console.TestId("sort-baseline").FocusAsync();
        await console.Page.Keyboard.PressAsync("Space");
        await Expect(console.Page).ToHaveURLAsync(new Regex($@"/requests\?user={user}&sort=baseline&order=asc$"));
        await Expect(console.TestId("sort-baseline")).ToHaveAttributeAsync("data-sort", "ascending");
        await Expect(console.TestId("requests-header-baseline")).ToHaveAttributeAsync("aria-sort", "ascending");
        await Expect(console.TestId("request-baseline")).ToHaveTextAsync(lowestFirst);

        // The address alone brings the order back, as a shared link would.
        await console.Page.ReloadAsync();
        await Expect(console.TestId("sort-baseline")).ToHaveAttributeAsync("data-sort", "ascending", new() { Timeout = 15_000 });
        await Expect(console.TestId("request-baseline")).ToHaveTextAsync(lowestFirst);
        Assert.True(console.Errors.Count == 0, string.Join(Environment.NewLine, console.Errors));

        // On a phone the list is cards without column titles, in the same order, and the page is no wider than the phone.
        await console.Page.SetViewportSizeAsync(390, 844);
        await console.Page.WaitForFunctionAsync("() => document.documentElement.scrollWidth <= window.innerWidth", null, new() { Timeout = 10_000 });
        await Expect(console.TestId("sort-baseline")).ToBeHiddenAsync();
        await Expect(console.TestId("request-baseline")).ToHaveTextAsync(lowestFirst);
        await console.ScreenshotAsync("requests-sort-mobile");
    }

    private static decimal Usd(string text) => decimal.Parse(text.TrimStart('$'), NumberStyles.Number, CultureInfo.InvariantCulture);
}
