using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

/// <summary>
/// Every console page, with real content, checked by axe-core in the light and the dark theme (no serious or critical
/// violation) and on a 390 px phone (no sideways page scroll); dialogs keep the keyboard inside them; the budget flow
/// works with the keyboard alone.
/// </summary>
public sealed class AccessibilityTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private const string ThemeKey = "costconsole.dark";

    private static readonly string[] Prompts =
    [
        "What are your opening hours?",
        "How do I reset my password?",
        "Draft a polite reply to a customer whose parcel arrived damaged, offering a refund or a replacement.",
        "Summarise this support ticket: the invoice shows a double charge for March and the customer wants it fixed.",
        "Explain step by step how to migrate our billing database to a new region without downtime, with the risks.",
        "Translate 'thank you for your patience' into French.",
    ];

    private static async Task SeedAsync(ConsoleBrowser browser)
    {
        var console = await browser.OpenAsync("/budgets");
        if (await console.TestId("budget-bar-Support, monthly").CountAsync() == 0)
        {
            await console.OpenFormAsync("add-budget", "budget-name");
            await console.Input("budget-name").FillAsync("Support, monthly");
            await console.Input("budget-limit").FillAsync("25");
            await console.TestId("budget-save").ClickAsync();
            await Expect(console.TestId("budget-bar-Support, monthly")).ToBeVisibleAsync();
        }

        var experiments = await browser.OpenAsync("/experiments");
        if (await experiments.TestId("experiments-empty").IsVisibleAsync())
        {
            await experiments.OpenFormAsync("new-experiment", "experiment-name");
            await experiments.Input("experiment-name").FillAsync("Small tier: mini vs nano");
            await experiments.Page.Locator(".mud-select:has([data-testid='arm-1-tier-small'])").First.ClickAsync();
            await experiments.Page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "simulator/gpt-4.1-mini" }).First.ClickAsync();
            await Expect(experiments.Page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
            await experiments.Input("arm-1-name").FillAsync("mini");
            await experiments.TestId("experiment-save").ClickAsync();
            await Expect(experiments.TestId("state-1")).ToHaveTextAsync("draft");
            await experiments.TestId("start-1").ClickAsync();
            await Expect(experiments.TestId("state-1")).ToHaveTextAsync("running");
        }

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", ConsoleBrowser.ApiKey);
        foreach (var prompt in Prompts.Concat(Prompts).Concat(Prompts))
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
            {
                model = "auto",
                max_tokens = 200,
                messages = new[] { new { role = "user", content = prompt } },
            });
            response.EnsureSuccessStatusCode();
        }

        var routing = await browser.OpenAsync("/routing");
        if (await routing.TestId("rule-warranty-claims").CountAsync() == 0)
        {
            await routing.OpenFormAsync("add-rule", "rule-name");
            await routing.TestId("rule-name").FillAsync("warranty-claims");
            await routing.TestId("condition-0-keywords").FillAsync("warranty, guarantee, broken appliance, replacement part");
            await routing.TestId("rule-save").ClickAsync();
            await Expect(routing.TestId("rule-warranty-claims")).ToBeVisibleAsync();
        }

        var batches = await browser.OpenAsync("/batches");
        if (await batches.TestId("batches-empty").IsVisibleAsync())
        {
            var lines = string.Join('\n', Prompts.Select((prompt, i) => JsonSerializer.Serialize(new
            {
                custom_id = $"ticket-{i + 1}",
                method = "POST",
                url = "/v1/chat/completions",
                body = new { model = "auto", messages = new[] { new { role = "user", content = prompt } } },
            }))) + "\n";
            await batches.Page.Locator("[data-testid='batch-upload'] input[type=file], input[type=file][data-testid='batch-upload']").First
                .SetInputFilesAsync(new FilePayload { Name = "tickets.jsonl", MimeType = "application/jsonl", Buffer = Encoding.UTF8.GetBytes(lines) });
            await Expect(batches.TestId("batches-table").Locator("[data-testid^='batch-status-']")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
        }

        await console.Page.Context.CloseAsync();
        await experiments.Page.Context.CloseAsync();
        await batches.Page.Context.CloseAsync();
        await routing.Page.Context.CloseAsync();
    }

    /// <summary>A page of the walk: where it is and what to wait for (or do) before it is checked.</summary>
    private sealed record Stop(string Name, string Path, Func<ConsolePage, Task>? Ready = null);

    private static readonly Stop[] Walk =
    [
        new("dashboard", "/", c => Expect(c.TestId("headline-cards")).ToBeVisibleAsync()),
        new("spend", "/spend"),
        new("what-if", "/what-if", c => Expect(c.TestId("whatif-summary")).ToBeVisibleAsync()),
        new("routing", "/routing", c => Expect(c.TestId("routing-tabs")).ToBeVisibleAsync()),
        new("cache", "/cache", c => Expect(c.TestId("cache-hit-rate")).ToBeVisibleAsync()),
        new("catalogue", "/catalogue"),
        new("playground", "/playground"),
        new("batches", "/batches", c => Expect(c.TestId("batches-table")).ToBeVisibleAsync()),
        new("experiments", "/experiments", c => Expect(c.TestId("experiments-table")).ToBeVisibleAsync()),
        new("experiment-results", "/experiments/1", c => Expect(c.TestId("experiment-title")).ToBeVisibleAsync()),
        new("requests", "/requests", c => Expect(c.TestId("requests-grid").Locator("tbody tr").First).ToBeVisibleAsync()),
        new("request-trace", "/requests", async c =>
        {
            await c.TestId("requests-grid").Locator("tbody tr").First.ClickAsync();
            // Checked once it has slid fully into view.
            await Expect(c.TestId("request-drawer")).ToBeInViewportAsync(new() { Ratio = 1 });
        }),
        new("review", "/review"),
        new("budgets", "/budgets", c => Expect(c.TestId("budget-bar-Support, monthly")).ToBeVisibleAsync()),
        new("keys", "/keys", c => Expect(c.TestId("keys-table").Locator("tbody tr").First).ToBeVisibleAsync()),
        new("users", "/users"),
        new("settings", "/settings"),
        new("rule-dialog", "/routing", async c =>
        {
            await c.TestId("add-rule").ClickAsync();
            await Expect(c.Page.Locator(".mud-dialog")).ToBeVisibleAsync();
        }),
    ];

    [Fact]
    public async Task Every_page_in_light_and_dark_theme_has_no_serious_or_critical_axe_violation_and_fits_a_phone()
    {
        await SeedAsync(browser);
        var problems = new List<string>();
        foreach (var dark in new[] { false, true })
        {
            var theme = dark ? "dark" : "light";
            var context = await browser.NewSignedInContextAsync();
            await context.AddInitScriptAsync($"localStorage.setItem('{ThemeKey}', '{(dark ? "1" : "0")}')");
            var page = await context.NewPageAsync();
            var console = new ConsolePage(page);
            foreach (var stop in Walk)
            {
                await page.SetViewportSizeAsync(1440, 900);
                await page.GotoAsync(new Uri(browser.BaseAddress, stop.Path).ToString(), new() { WaitUntil = WaitUntilState.NetworkIdle });
                await ConsoleBrowser.WaitUntilInteractiveAsync(page);
                await WaitForThemeAsync(page, dark);
                if (stop.Ready is not null)
                {
                    await stop.Ready(console);
                }

                await CheckAsync(page, $"{stop.Name} ({theme})", problems);
                await console.ScreenshotAsync($"a11y-{stop.Name}-{theme}-desktop", fullPage: false);

                if (stop.Name == "routing")
                {
                    // Every tab of every group, each checked as it is shown.
                    var tabs = page.GetByRole(AriaRole.Tab);
                    var count = await tabs.CountAsync();
                    Assert.True(count >= 8, $"the routing page shows {count} tabs");
                    for (var i = 1; i < count; i++)
                    {
                        var tab = tabs.Nth(i);
                        var name = (await tab.InnerTextAsync()).Trim();
                        await tab.ClickAsync();
                        await Expect(tab).ToHaveAttributeAsync("aria-selected", "true");
                        await CheckAsync(page, $"routing tab '{name}' ({theme})", problems);
                    }
                }

                // The same page opened on a phone.
                await page.SetViewportSizeAsync(390, 844);
                await page.GotoAsync(new Uri(browser.BaseAddress, stop.Path).ToString(), new() { WaitUntil = WaitUntilState.NetworkIdle });
                await ConsoleBrowser.WaitUntilInteractiveAsync(page);
                if (stop.Ready is not null)
                {
                    await stop.Ready(console);
                }

                await PhoneAsync(console, page, $"a11y-{stop.Name}-{theme}", problems);
            }

            Assert.Empty(console.Errors);
            await context.CloseAsync();

            // The sign-in page, signed out.
            var anonymous = await browser.Browser.NewContextAsync(new() { ViewportSize = new() { Width = 1440, Height = 900 }, ColorScheme = dark ? ColorScheme.Dark : ColorScheme.Light });
            var signIn = await anonymous.NewPageAsync();
            await signIn.GotoAsync(new Uri(browser.BaseAddress, "/signin").ToString());
            await CheckAsync(signIn, $"sign-in ({theme})", problems);
            var signInPage = new ConsolePage(signIn);
            await signInPage.ScreenshotAsync($"a11y-signin-{theme}-desktop", fullPage: false);
            await signIn.SetViewportSizeAsync(390, 844);
            await PhoneAsync(signInPage, signIn, $"a11y-signin-{theme}", problems);
            await anonymous.CloseAsync();
        }

        Assert.True(problems.Count == 0, $"{problems.Count} problems:\n" + string.Join('\n', problems));
    }

    [Fact]
    public async Task An_admin_adds_a_rule_with_the_keyboard_alone_and_focus_stays_in_the_dialog_until_it_closes()
    {
        var console = await browser.OpenAsync("/routing");
        var page = console.Page;
        await Expect(console.TestId("add-rule")).ToBeVisibleAsync();

        // From the top of the page, Tab reaches "Add rule" (past the app bar, the menu and the draft bar).
        await page.Locator("body").FocusAsync();
        Assert.True(await TabUntilAsync(page, "[data-testid='add-rule']", 60), "Tab never reached the Add rule button");
        await page.Keyboard.PressAsync("Enter");
        var dialog = page.Locator(".mud-dialog");
        await Expect(dialog).ToBeVisibleAsync();
        await Expect(page.Locator("input[data-testid='rule-name']")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("keyboard-refunds");

        // Tab and Shift+Tab go round the dialog's own controls, never to the page behind it.
        for (var i = 0; i < 40; i++)
        {
            await page.Keyboard.PressAsync(i < 25 ? "Tab" : "Shift+Tab");
            Assert.True(await page.EvaluateAsync<bool>("() => !!document.activeElement?.closest('.mud-dialog')"), $"focus left the dialog after {i + 1} presses");
        }

        Assert.True(await TabUntilAsync(page, "[data-testid='condition-0-keywords']", 40), "Tab never reached the keywords field");
        await page.Keyboard.TypeAsync("refund, money back");
        await Expect(console.TestId("rule-summary")).ToContainTextAsync("refund, money back");
        Assert.True(await TabUntilAsync(page, "[data-testid='rule-save']", 40), "Tab never reached Save");
        await page.Keyboard.PressAsync("Enter");

        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(console.TestId("rule-keyboard-refunds")).ToBeVisibleAsync();
        // Focus comes back to the button that opened the dialog, so the next Tab goes on from there.
        await Expect(console.TestId("add-rule")).ToBeFocusedAsync();

        // Escape closes a dialog too, and focus comes back the same way.
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("input[data-testid='rule-name']")).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Escape");
        await Expect(dialog).ToHaveCountAsync(0);
        await Expect(console.TestId("add-rule")).ToBeFocusedAsync();
        Assert.Empty(console.Errors);
    }

    /// <summary>Presses Tab until the focused element is (or is inside) <paramref name="selector"/>, at most <paramref name="presses"/> times.</summary>
    private static async Task<bool> TabUntilAsync(IPage page, string selector, int presses)
    {
        for (var i = 0; i < presses; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => !!document.activeElement?.closest(s)", selector))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task WaitForThemeAsync(IPage page, bool dark)
    {
        // The layout reads the saved theme once the circuit is live: wait until the page background shows it.
        await page.WaitForFunctionAsync(
            "dark => { const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\\d+/g).map(Number); return ((r + g + b) / 3 < 128) === dark; }",
            dark);
    }

    private static async Task CheckAsync(IPage page, string where, List<string> problems)
    {
        var result = await page.RunAxe();
        foreach (var violation in result.Violations.Where(v => v.Impact is "serious" or "critical"))
        {
            foreach (var node in violation.Nodes)
            {
                problems.Add($"{where}: {violation.Id} [{violation.Impact}] at {node.Target} — {Because(node)}");
            }
        }
    }

    private static string? Because(AxeResultNode node) =>
        (node.Any ?? []).Concat(node.All ?? []).Concat(node.None ?? []).Select(check => check.Message).FirstOrDefault(message => !string.IsNullOrEmpty(message));

    /// <summary>On a 390×844 phone the page must not scroll sideways (charts redraw to the new width, so this polls a while).</summary>
    private static async Task PhoneAsync(ConsolePage console, IPage page, string name, List<string> problems)
    {
        const string overflowScript = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth";
        var deadline = DateTime.UtcNow.AddSeconds(5);
        var overflow = await page.EvaluateAsync<int>(overflowScript);
        while (overflow > 0 && DateTime.UtcNow < deadline)
        {
            await page.WaitForTimeoutAsync(250);
            overflow = await page.EvaluateAsync<int>(overflowScript);
        }

        if (overflow > 0)
        {
            var widest = await page.EvaluateAsync<string>(
                """
                () => [...document.querySelectorAll('body *')]
                    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && getComputedStyle(e).position !== 'fixed')
                    .slice(0, 4).map(e => e.tagName.toLowerCase() + (e.getAttribute('data-testid') ? `[data-testid=${e.getAttribute('data-testid')}]` : '') + '.' + [...e.classList].slice(0, 3).join('.')).join(', ')
                """);
            problems.Add($"{name}: the page scrolls sideways by {overflow}px on a 390 px phone ({widest})");
        }

        await console.ScreenshotAsync(name + "-phone", fullPage: false);
    }
}
