using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class AccessFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static readonly string[] Menu = ["Dashboard", "Spend", "What if", "Routing", "Cache", "Catalogue", "Playground", "Batches", "Experiments", "Requests", "Review queue", "Budgets", "Alert rules", "API keys", "Users", "Settings", "Saved views", "Manage views"];

    [Fact]
    public async Task Each_role_signs_in_and_sees_only_its_menu()
    {
        var admin = await browser.OpenAsync("/users");
        await AddUserAsync(admin, "finops@e2e.local", "FinOps");
        await AddUserAsync(admin, "lead@e2e.local", "Support lead");
        await Expect(admin.TestId("users-table")).ToContainTextAsync("lead@e2e.local");
        await admin.ScreenshotAsync("users");
        await AssertMenuAsync(admin, Menu);

        var finops = await browser.OpenAsAsync("finops@e2e.local", ConsoleBrowser.Password);
        await AssertMenuAsync(finops, ["Dashboard", "Spend", "What if", "Routing", "Experiments", "Requests", "Budgets", "Alert rules", "Saved views", "Manage views"]);
        await Expect(finops.TestId("signed-in-as")).ToContainTextAsync("finops@e2e.local · FinOps");
        await finops.ScreenshotAsync("menu-finops", fullPage: false);

        var lead = await browser.OpenAsAsync("lead@e2e.local", ConsoleBrowser.Password);
        Assert.EndsWith("/routing", lead.Page.Url, StringComparison.Ordinal); // the dashboard is not for this role: sign-in lands on routing
        await AssertMenuAsync(lead, ["Routing", "Catalogue", "Playground", "Batches", "Experiments", "Review queue"]);
        await Expect(lead.TestId("read-only")).ToBeVisibleAsync();
        await Expect(lead.TestId("publish")).ToBeDisabledAsync();
        await lead.ScreenshotAsync("menu-support-lead", fullPage: false);

        // Typing the address of a page the role may not open shows why, not the page.
        await lead.Page.GotoAsync(new Uri(browser.BaseAddress, "/keys").ToString());
        await Expect(lead.TestId("access-denied")).ToBeVisibleAsync();
        await Expect(lead.Page.GetByText("Create key")).ToHaveCountAsync(0);

        // Signing out from the account menu ends the session.
        await finops.TestId("signed-in-as").ClickAsync();
        await finops.TestId("sign-out").ClickAsync();
        await finops.Page.WaitForURLAsync(url => url.Contains("/signin", StringComparison.Ordinal));
        await finops.Page.GotoAsync(new Uri(browser.BaseAddress, "/budgets").ToString());
        Assert.Contains("/signin", finops.Page.Url, StringComparison.Ordinal);

        Assert.Empty(admin.Errors);
        Assert.Empty(finops.Errors);
    }

    [Fact]
    public async Task An_admin_creates_a_key_uses_it_through_v1_and_watches_its_budget_bar_move()
    {
        var console = await browser.OpenAsync("/keys");
        var page = console.Page;

        await console.TestId("create-key").ClickAsync();
        await console.TestId("key-save").ClickAsync();
        await Expect(page.GetByText("Give the key a name")).ToBeVisibleAsync();
        await console.Input("key-name").FillAsync("crm-agent");
        await console.Input("key-team").FillAsync("support");
        await console.Input("key-budget").FillAsync("0.01");
        await console.TestId("key-save").ClickAsync();
        var secret = (await console.TestId("new-key-secret").InnerTextAsync()).Trim();
        Assert.StartsWith("cc-", secret, StringComparison.Ordinal);
        await console.ScreenshotAsync("keys-created");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        var budgets = await browser.OpenAsync("/budgets");
        await Expect(budgets.TestId("spent-Key crm-agent")).ToHaveTextAsync("$0.000000");

        for (var i = 0; i < 5; i++)
        {
            using var response = await http.PostAsJsonAsync("/v1/chat/completions", new
            {
                model = "auto",
                max_tokens = 400,
                messages = new[] { new { role = "user", content = "Analyze last quarter's churn by customer segment and recommend a retention strategy step by step." } },
            });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // The page refreshes itself every two seconds: the spend appears without a reload.
        await Expect(budgets.TestId("spent-Key crm-agent")).Not.ToHaveTextAsync("$0.000000", new() { Timeout = 10_000 });
        var spent = decimal.Parse((await budgets.TestId("spent-Key crm-agent").InnerTextAsync()).TrimStart('$'), CultureInfo.InvariantCulture);
        Assert.True(spent > 0m);
        await Expect(budgets.TestId("budget-bar-Key crm-agent")).ToHaveAttributeAsync("aria-valuetext", new System.Text.RegularExpressions.Regex(@"^\$0\.\d+ spent, "));
        // Past half of the budget, the open page gets the alert at once: a snackbar and the bell's count.
        await Expect(budgets.Page.Locator(".mud-snackbar").Filter(new() { HasTextString = "passed 50 %" })).ToBeVisibleAsync(new() { Timeout = 10_000 });
        await Expect(budgets.TestId("alert-count")).ToContainTextAsync("1");
        await Expect(budgets.TestId("alerts-table")).ToContainTextAsync("Budget 'Key crm-agent' passed 50 %");
        await budgets.ScreenshotAsync("budgets");

        // Revoked on the keys page, the key is refused at once.
        await console.TestId("revoke-crm-agent").ClickAsync();
        await page.Locator(".mud-dialog button").Filter(new() { HasTextString = "Revoke" }).ClickAsync();
        await Expect(console.TestId("keys-table")).Not.ToContainTextAsync("crm-agent");
        using var refused = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "hello" } } });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task An_admin_gives_a_key_the_reporting_scope_in_its_form_and_the_key_reads_its_team_spend_but_calls_no_model()
    {
        var console = await browser.OpenAsync("/keys");
        var page = console.Page;

        await console.OpenFormAsync("create-key", "key-name");
        await console.Input("key-name").FillAsync("finance-report");
        await console.Input("key-team").FillAsync("finance");
        await console.TestId("key-scope-reporting").ClickAsync();
        await console.ScreenshotAsync("keys-scopes-dialog", fullPage: false);
        await console.TestId("key-save").ClickAsync();
        var secret = (await console.TestId("new-key-secret").InnerTextAsync()).Trim();
        await Expect(console.TestId("scopes-finance-report")).ToHaveTextAsync("inference, reporting (own team)");

        // Reporting only: the key stops calling models.
        await console.TestId("edit-finance-report").ClickAsync();
        await console.TestId("key-scope-inference").ClickAsync();
        await console.TestId("key-save").ClickAsync();
        await Expect(console.TestId("scopes-finance-report")).ToHaveTextAsync("reporting (own team)");
        await console.ScreenshotAsync("keys-scopes");

        using var http = new HttpClient { BaseAddress = browser.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        using var export = await http.GetAsync("/api/metrics/export.csv?range=24h");
        using var chat = await http.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = "hello" } } });
        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, chat.StatusCode);
        Assert.Contains("insufficient_scope", await chat.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Empty(console.Errors);
        await Expect(page.Locator(".mud-dialog")).ToHaveCountAsync(0);
    }

    private static async Task AddUserAsync(ConsolePage console, string email, string role)
    {
        await console.OpenFormAsync("create-user", "user-email");
        await console.Input("user-email").FillAsync(email);
        await console.Input("user-password").FillAsync(ConsoleBrowser.Password);
        await console.Page.Locator(".mud-dialog .mud-select").First.ClickAsync();
        await console.Page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextString = role + " —" }).ClickAsync();
        await console.TestId("user-save").ClickAsync();
        await Expect(console.TestId("users-table")).ToContainTextAsync(email);
    }

    private static async Task AssertMenuAsync(ConsolePage console, string[] expected)
    {
        var nav = console.Page.Locator(".mud-navmenu .mud-nav-link");
        await Expect(nav).ToHaveCountAsync(expected.Length);
        Assert.Equal(expected, (await nav.AllInnerTextsAsync()).Select(t => t.Trim()).ToArray());
    }
}
