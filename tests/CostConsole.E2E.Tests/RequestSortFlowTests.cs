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
        Assert.Empty(await CardsWithoutLineAsync(console));
        await console.ScreenshotAsync("requests-sort-mobile");

        // In the dark theme too, each card ends in a line the next one starts below.
        await console.Page.EvaluateAsync("() => localStorage.setItem('costconsole.dark', '1')");
        await console.Page.ReloadAsync();
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await console.Page.WaitForFunctionAsync("() => { const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); return (r + g + b) / 3 < 128; }");
        await Expect(console.TestId("request-baseline")).ToHaveTextAsync(lowestFirst, new() { Timeout = 15_000 });
        Assert.Empty(await CardsWithoutLineAsync(console));
        await console.ScreenshotAsync("requests-sort-mobile-dark");
        Assert.True(console.Errors.Count == 0, string.Join(Environment.NewLine, console.Errors));
    }

    /// <summary>
    /// The phone's request cards (their request ids) whose last shown cell has no line under it to part them from the next
    /// card; the last card ends with the table, as in every MudBlazor table.
    /// </summary>
    private static Task<string[]> CardsWithoutLineAsync(ConsolePage console) =>
        console.Page.EvaluateAsync<string[]>(
            """
            () => [...document.querySelectorAll("[data-testid='requests-grid'] tbody tr")].slice(0, -1).filter(row => {
              const shown = [...row.cells].filter(cell => getComputedStyle(cell).display !== "none");
              const style = getComputedStyle(shown[shown.length - 1]);
              return style.borderBottomStyle === "none" || parseFloat(style.borderBottomWidth) < 1;
            }).map(row => row.querySelector("[data-testid='request-id']")?.dataset.requestId ?? row.innerText)
            """);

    private static decimal Usd(string text) => decimal.Parse(text.TrimStart('$'), NumberStyles.Number, CultureInfo.InvariantCulture);
}
