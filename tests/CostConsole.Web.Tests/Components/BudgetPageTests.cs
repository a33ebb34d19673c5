using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Bunit;
using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;
using CostConsole.Web.Components.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MudBlazor;
using BudgetsPage = CostConsole.Web.Components.Pages.Budgets;

namespace CostConsole.Web.Tests.Components;

/// <summary>The budget page over the running app's budgets: one bar per budget, its rate of spend, and why requests were refused.</summary>
public sealed class BudgetPageTests : ConsoleTestContext, IClassFixture<CostConsoleFactory>
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly CostConsoleFactory _factory;

    public BudgetPageTests(CostConsoleFactory factory)
    {
        _factory = factory;
        Services.AddSingleton(factory.Services.GetRequiredService<BudgetService>());
        Services.AddSingleton(factory.Services.GetRequiredService<BudgetGuard>());
        Services.AddSingleton(factory.Services.GetRequiredService<AlertCenter>());
        Services.AddSingleton(factory.Services.GetRequiredService<IOptions<BudgetOptions>>());
        Services.AddSingleton(TimeProvider.System);
    }

    private static BudgetState State(long spent, long reserved, IReadOnlyList<BudgetRefusal>? refusals = null) =>
        new(new BudgetRule(1, "Support", BudgetScope.Global, null, BudgetPeriod.Monthly, 1_000_000_000, [50, 80, 100], null), Start, Start.AddMonths(1), spent, reserved, reserved > 0 ? 1 : 0)
        {
            Refusals = refusals ?? [],
        };

    public static TheoryData<long, long, string, string> States => new()
    {
        { 100_000_000, 50_000_000, BudgetBar.Ok, "var(--mud-palette-success)" },
        { 450_000_000, 60_000_000, BudgetBar.Warning, "var(--mud-palette-warning)" },
        { 900_000_000, 100_000_000, BudgetBar.Exhausted, "var(--mud-palette-error)" },
    };

    [Theory]
    [MemberData(nameof(States))]
    public void The_bar_shows_spent_reserved_and_remaining_coloured_by_the_budget_state(long spent, long reserved, string level, string colour)
    {
        var cut = Render<BudgetBar>(p => p.Add(b => b.State, State(spent, reserved)));

        var bar = cut.Find("[data-testid='budget-bar-Support']");
        Assert.Equal(level, bar.GetAttribute("data-state"));
        Assert.Equal("meter", bar.GetAttribute("role"));
        Assert.Equal("Budget Support", bar.GetAttribute("aria-label"));
        var remaining = 1_000_000_000 - spent - reserved;
        Assert.StartsWith(
            $"{BudgetGuard.Usd(spent)} spent, {BudgetGuard.Usd(reserved)} reserved, {BudgetGuard.Usd(remaining)} remaining of $1.0000; ",
            bar.GetAttribute("aria-valuetext"),
            StringComparison.Ordinal);
        Assert.Contains($"width:{spent / 1e7m:0.###}%", cut.Find("[data-testid='budget-bar-spent']").GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains($"width:{reserved / 1e7m:0.###}%", cut.Find("[data-testid='budget-bar-reserved']").GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains($"width:{remaining / 1e7m:0.###}%", cut.Find("[data-testid='budget-bar-remaining']").GetAttribute("style"), StringComparison.Ordinal);
        Assert.Contains("background-color:" + colour, cut.Find("[data-testid='budget-bar-spent']").GetAttribute("style"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_budget_refused_for_money_it_no_longer_has_is_red_although_some_remains()
    {
        var refused = new BudgetRefusal(Start.AddDays(2), "Request to tier 'large' refused: $0.0100 left", 30_000_000);

        var cut = Render<BudgetBar>(p => p.Add(b => b.State, State(990_000_000, 0, [refused])));

        Assert.Equal(BudgetBar.Exhausted, cut.Find("[data-testid='budget-bar-Support']").GetAttribute("data-state"));
        Assert.Contains("exhausted", cut.Find("[data-testid='budget-bar-Support']").GetAttribute("aria-valuetext"), StringComparison.Ordinal);
    }

    private async Task<CreatedKey> KeyWithBudgetAsync(string name, decimal limit, bool strict = false)
    {
        var (result, key) = await _factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = name, Team = "team-" + name }, "test");
        Assert.True(result.Saved, result.Summary);
        var saved = await _factory.Services.GetRequiredService<BudgetService>().SaveAsync(new BudgetForm
        {
            Name = name,
            Scope = BudgetScope.Key,
            ScopeValue = key!.Id.ToString(CultureInfo.InvariantCulture),
            Period = BudgetPeriod.Monthly,
            LimitUsd = limit,
            Strict = strict,
        }, "test", Xunit.TestContext.Current.CancellationToken);
        Assert.True(saved.Saved, saved.Summary);
        return key;
    }

    private async Task<HttpStatusCode> SendAsync(CreatedKey key, int maxTokens = 200)
    {
        using var client = _factory.CreateApiClient(key.Secret);
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "gpt-4.1",
            max_tokens = maxTokens,
            messages = new[] { new { role = "user", content = "Draft a polite reply to a customer whose parcel arrived damaged." } },
        }, Xunit.TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private BudgetState StateOf(string name) => _factory.Services.GetRequiredService<BudgetGuard>().States().Single(s => s.Budget.Name == name);

    [Fact]
    public async Task The_rate_of_the_last_hour_says_until_when_the_budget_lasts_or_that_it_lasts_beyond_the_period()
    {
        var soon = await KeyWithBudgetAsync("Runs out soon", 100m);
        var ample = await KeyWithBudgetAsync("Ample", 100m);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, await SendAsync(soon));
        }

        Assert.Equal(HttpStatusCode.OK, await SendAsync(ample));

        // The limit becomes one and a half times the last hour's spend: half an hour more at this rate.
        var spent = StateOf("Runs out soon").SpentNanoUsd;
        var form = BudgetForm.From((await _factory.Services.GetRequiredService<BudgetService>().ListAsync(Xunit.TestContext.Current.CancellationToken)).Single(b => b.Name == "Runs out soon"));
        form.LimitUsd = 1.5m * spent / 1_000_000_000m;
        Assert.True((await _factory.Services.GetRequiredService<BudgetService>().SaveAsync(form, "test", Xunit.TestContext.Current.CancellationToken)).Saved);

        var cut = Render<BudgetsPage>();
        Render<MudPopoverProvider>();

        var rate = cut.Find("[data-testid='rate-Runs out soon']").TextContent;
        Assert.Contains($"{BudgetGuard.Usd(spent)}/h", rate, StringComparison.Ordinal);
        var until = Regex.Match(rate, @"at this rate the budget lasts until (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) UTC");
        Assert.True(until.Success, rate);
        var at = DateTimeOffset.ParseExact(until.Groups[1].Value, "yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.InRange(at, DateTimeOffset.UtcNow.AddMinutes(28), DateTimeOffset.UtcNow.AddMinutes(31));
        Assert.Contains("at this rate the budget lasts beyond the period", cut.Find("[data-testid='rate-Ample']").TextContent, StringComparison.Ordinal);
        Assert.Equal(BudgetBar.Warning, cut.Find("[data-testid='budget-bar-Runs out soon']").GetAttribute("data-state"));
        Assert.Equal(BudgetBar.Ok, cut.Find("[data-testid='budget-bar-Ample']").GetAttribute("data-state"));
    }

    [Fact]
    public async Task The_page_says_why_the_latest_requests_were_refused_and_when()
    {
        var key = await KeyWithBudgetAsync("Nearly nothing", 0.0001m);

        Assert.Equal(HttpStatusCode.TooManyRequests, await SendAsync(key, maxTokens: 2_000));

        var cut = Render<BudgetsPage>();
        Render<MudPopoverProvider>();

        var item = cut.FindAll("[data-testid='refusals-list'] li").First(r => r.QuerySelector("[data-testid='refusal-budget']")!.TextContent == "Nearly nothing");
        var refusal = StateOf("Nearly nothing").Refusals.Single();
        Assert.Equal(refusal.At.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC", item.QuerySelector("[data-testid='refusal-at']")!.TextContent);
        Assert.StartsWith("Request to tier 'large' refused: $0.000100 left after $0.000000 spent and $0.000000 reserved; it needed $0.", item.QuerySelector("[data-testid='refusal-reason']")!.TextContent, StringComparison.Ordinal);
        Assert.Equal(BudgetBar.Exhausted, cut.Find("[data-testid='budget-bar-Nearly nothing']").GetAttribute("data-state"));
    }

    [Fact]
    public async Task A_budget_without_traffic_says_so_and_the_overrun_bound_is_shown()
    {
        await KeyWithBudgetAsync("Quiet", 5m);

        var cut = Render<BudgetsPage>();
        Render<MudPopoverProvider>();

        Assert.Equal("No spend in the last hour", cut.Find("[data-testid='rate-Quiet']").TextContent.Trim());
        Assert.Equal(BudgetBar.Ok, cut.Find("[data-testid='budget-bar-Quiet']").GetAttribute("data-state"));
        Assert.Contains("$0.000000 spent, $0.000000 reserved, $5.0000 remaining of $5.0000", cut.Find("[data-testid='budget-bar-Quiet']").GetAttribute("aria-valuetext"), StringComparison.Ordinal);
        Assert.Contains("can together pass a limit by at most $0.1000", cut.Find("[data-testid='overrun-bound']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_form_offers_the_strict_option_with_its_helper_text_and_the_list_marks_strict_budgets()
    {
        var (result, key) = await _factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = "strict-form", Team = "team-strict-form" }, "test");
        Assert.True(result.Saved, result.Summary);
        var form = new BudgetForm { Name = "Hard ceiling", Scope = BudgetScope.Key, ScopeValue = key!.Id.ToString(CultureInfo.InvariantCulture), LimitUsd = 2m };
        var dialog = await OpenDialogAsync(new DialogParameters<BudgetDialog> { { d => d.Form, form } });

        Assert.Contains("Each request reserves its worst case", dialog.Find("[data-testid='budget-strict-help']").TextContent, StringComparison.Ordinal);
        Assert.Contains("at most $0.1000 together", dialog.Find("[data-testid='budget-strict-help']").TextContent, StringComparison.Ordinal);
        dialog.Find("input[data-testid='budget-strict']").Change(true);
        await dialog.Find("[data-testid='budget-save']").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.Contains(_factory.Services.GetRequiredService<BudgetGuard>().States(), s => s.Budget.Name == "Hard ceiling"), TimeSpan.FromSeconds(10));
        Assert.True(StateOf("Hard ceiling").Budget.Strict);
        var page = Render<BudgetsPage>();
        Assert.Equal("strict", page.Find("[data-testid='strict-Hard ceiling']").TextContent.Trim());
        Assert.Contains("never passed", page.Find("[data-testid='budget-Hard ceiling']").ParentElement!.TextContent, StringComparison.Ordinal);
    }
}
