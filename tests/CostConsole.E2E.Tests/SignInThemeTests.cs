using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>The sign-in page takes the console's theme: the user's own choice, else the system's.</summary>
public sealed class SignInThemeTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Theory]
    [InlineData(ColorScheme.Dark, null, true)]
    [InlineData(ColorScheme.Light, null, false)]
    [InlineData(ColorScheme.Light, "1", true)]
    [InlineData(ColorScheme.Dark, "0", false)]
    public async Task The_sign_in_page_is_dark_when_the_user_chose_dark_or_chose_nothing_on_a_dark_system(ColorScheme system, string? stored, bool dark)
    {
        await using var context = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 }, ColorScheme = system });
        if (stored is not null)
        {
            await context.AddInitScriptAsync($"localStorage.setItem('costconsole.dark', '{stored}')");
        }

        var page = await context.NewPageAsync();
        await page.GotoAsync(new Uri(browser.BaseAddress, "/signin").ToString());

        await Expect(page.Locator("html")).ToHaveAttributeAsync("data-cc-theme", dark ? "dark" : "light");
        var card = await page.Locator(".cc-account-card").EvaluateAsync<double>(
            "e => { const [r, g, b] = getComputedStyle(e).backgroundColor.match(/\\d+/g).map(Number); return (r + g + b) / 3; }");
        Assert.Equal(dark, card < 128);
        var name = $"signin-{(dark ? "dark" : "light")}-{(stored is null ? "system" : "chosen")}";
        await page.ScreenshotAsync(new() { Path = Path.Combine(ConsoleBrowser.ScreenshotFolder, name + "-1440.png") });
        await page.SetViewportSizeAsync(390, 844);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ConsoleBrowser.ScreenshotFolder, name + "-390.png") });
    }
}
