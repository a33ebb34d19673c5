using CostConsole.E2E.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class AlertRuleFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task A_finops_user_adds_a_spend_rule_that_is_listed_in_words_and_the_dashboard_filters_by_team_from_its_address()
    {
        var console = await browser.OpenAsync("/alerts");
        await console.TestId("rule-new").ClickAsync();
        await console.Input("rule-name").FillAsync("Spend runs hot");
        await console.Input("rule-threshold").FillAsync("5");
        await console.Input("rule-threshold").PressAsync("Tab");
        await console.ScreenshotAsync("alert-rules-form-desktop");
        await console.TestId("rule-save").ClickAsync();
        await Expect(console.TestId("rule-row-condition")).ToHaveTextAsync("Spend per hour of all traffic above $5.00 over 60 min");
        await console.ScreenshotAsync("alert-rules-desktop");
        await console.Page.SetViewportSizeAsync(390, 844);

        // The drawer folds away a moment after the resize and the content slides back to the left edge; the page must then fit the phone.
        try
        {
            await console.Page.WaitForFunctionAsync("() => document.documentElement.scrollWidth <= window.innerWidth && document.getElementById('main-content').getBoundingClientRect().left < 24", null, new() { Timeout = 5_000 });
        }
        catch (TimeoutException)
        {
        }

        await console.ScreenshotAsync("alert-rules-mobile");
        var overflow = await console.Page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        var widest = await console.Page.EvaluateAsync<string>("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join('; ')");
        Assert.True(overflow <= 0, $"The alert rules page is {overflow} px wider than a 390 px phone: {widest}");
        var left = await console.Page.EvaluateAsync<double>("() => document.getElementById('main-content').getBoundingClientRect().left");
        Assert.True(left < 24, $"The alert rules page starts {left} px from the phone's left edge: its content is pushed to the right.");

        await ConsoleBrowser.DesktopAsync(console.Page);
        await console.Page.GotoAsync(new Uri(browser.BaseAddress, "/?range=24h&team=nobody").ToString());
        await ConsoleBrowser.WaitUntilInteractiveAsync(console.Page);
        await Expect(console.TestId("dashboard-error")).ToContainTextAsync("Unknown team 'nobody'");
        await console.ScreenshotAsync("dashboard-team-filter-desktop");
        Assert.True(console.Errors.Count == 0, string.Join(Environment.NewLine, console.Errors));
    }
}
