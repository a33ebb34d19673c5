using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Access;
using CostConsole.Web.Budgets;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Budgets;

/// <summary>Bad input gets a clear message and changes nothing.</summary>
public sealed class BudgetFormTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    public static TheoryData<string, BudgetScope, string?, decimal?, string, string?, string> BadBudgets => new()
    {
        { "", BudgetScope.Global, null, 10m, "50,80", null, "Give the budget a name" },
        { "No limit", BudgetScope.Global, null, null, "50", null, "Enter the limit in USD." },
        { "Zero", BudgetScope.Global, null, 0m, "50", null, "more than $0" },
        { "Odd thresholds", BudgetScope.Global, null, 10m, "50,abc", null, "whole percentages from 1 to 100" },
        { "Over 100", BudgetScope.Global, null, 10m, "150", null, "whole percentages from 1 to 100" },
        { "Bad hook", BudgetScope.Global, null, 10m, "50", "ftp://hooks", "absolute http(s) URL" },
        { "No tier", BudgetScope.Tier, null, 10m, "50", null, "Choose the tier" },
        { "Unknown tier", BudgetScope.Tier, "gigantic", 10m, "50", null, "'gigantic' is not a tier" },
        { "Unknown model", BudgetScope.Model, "simulator/gpt-9", 10m, "50", null, "is not a model in the catalogue" },
        { "Unknown team", BudgetScope.Team, "nobody", 10m, "50", null, "No API key belongs to a team 'nobody'" },
        { "Unknown key", BudgetScope.Key, "99999", 10m, "50", null, "'99999' is not an active API key" },
    };

    [Theory]
    [MemberData(nameof(BadBudgets))]
    public async Task A_bad_budget_is_refused_with_the_reason_and_nothing_is_saved(string name, BudgetScope scope, string? value, decimal? limit, string thresholds, string? webhook, string reason)
    {
        var service = factory.Services.GetRequiredService<BudgetService>();
        var before = (await service.ListAsync()).Count;

        var result = await service.SaveAsync(new BudgetForm { Name = name, Scope = scope, ScopeValue = value, LimitUsd = limit, Thresholds = thresholds, WebhookUrl = webhook }, "test");

        Assert.False(result.Saved);
        Assert.Contains(reason, result.Summary, StringComparison.Ordinal);
        Assert.Equal(before, (await service.ListAsync()).Count);
    }

    [Fact]
    public async Task Two_budgets_cannot_share_a_name()
    {
        var service = factory.Services.GetRequiredService<BudgetService>();
        Assert.True((await service.SaveAsync(new BudgetForm { Name = "Everything", LimitUsd = 100m }, "test")).Saved);

        var second = await service.SaveAsync(new BudgetForm { Name = "Everything", LimitUsd = 5m }, "test");

        Assert.False(second.Saved);
        Assert.Contains("already named 'Everything'", second.Summary, StringComparison.Ordinal);
        Assert.Equal(100_000_000_000, (await service.ListAsync()).Single(b => b.Name == "Everything").LimitNanoUsd);
    }

    public static TheoryData<string, string?, string[], int?, string> BadKeys => new()
    {
        { "", "support", [], null, "Give the key a name" },
        { "no-team", null, [], null, "Name the team" },
        { "bad-tier", "support", ["huge"], null, "'huge' is not a tier" },
        { "bad-rate", "support", [], 0, "Requests per minute must be between 1 and 1,000,000" },
    };

    [Theory]
    [MemberData(nameof(BadKeys))]
    public async Task A_bad_key_is_refused_with_the_reason_and_nothing_is_created(string name, string? team, string[] tiers, int? rpm, string reason)
    {
        var keys = factory.Services.GetRequiredService<KeyService>();
        var before = (await keys.ListAsync(true)).Count;

        var (result, created) = await keys.CreateAsync(new KeyForm { Name = name, Team = team, AllowedTiers = tiers, RequestsPerMinute = rpm }, "test");

        Assert.False(result.Saved);
        Assert.Null(created);
        Assert.Contains(reason, result.Summary, StringComparison.Ordinal);
        Assert.Equal(before, (await keys.ListAsync(true)).Count);
    }

    [Fact]
    public async Task A_key_secret_is_stored_only_as_a_hash()
    {
        var (_, created) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = "hashed", Team = "security" }, "test");

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync();
        var row = await db.ApiKeys.SingleAsync(k => k.Id == created!.Id);
        Assert.NotEqual(created!.Secret, row.Hash);
        Assert.Equal(CostConsole.Data.Keys.ApiKeySecrets.Hash(created.Secret), row.Hash);
        Assert.StartsWith(row.Prefix, created.Secret, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not-an-email", "Password-2026a", "That is not an email address.")]
    [InlineData("weak@test.local", "short", "at least 10 characters")]
    [InlineData("weak2@test.local", "alllowercase1", "uppercase")]
    public async Task A_bad_user_is_refused_with_the_reason_and_nothing_is_created(string email, string password, string reason)
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var before = (await users.ListAsync()).Count;

        var result = await users.CreateAsync(new UserForm { Email = email, Password = password, Role = Roles.FinOps });

        Assert.False(result.Saved);
        Assert.Contains(reason, result.Summary, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, (await users.ListAsync()).Count);
    }

    [Fact]
    public async Task The_last_admin_cannot_be_disabled_or_demoted()
    {
        await using var scope = factory.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserService>();
        var admin = (await users.ListAsync()).Single(u => u.Email == CostConsoleFactory.AdminEmail);

        var disabled = await users.SetDisabledAsync(admin.Id, true, "someone-else@test.local");
        var demoted = await users.SetRoleAsync(admin.Id, Roles.FinOps, "someone-else@test.local");

        Assert.Contains("last active admin", disabled.Summary, StringComparison.Ordinal);
        Assert.Contains("last active admin", demoted.Summary, StringComparison.Ordinal);
        Assert.Equal(Roles.Admin, (await users.ListAsync()).Single(u => u.Email == CostConsoleFactory.AdminEmail).Role);
    }
}
