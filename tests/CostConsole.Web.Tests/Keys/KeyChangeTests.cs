using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Keys;

/// <summary>An admin changes a key's limits: the next request with it obeys them; a bad change changes nothing.</summary>
public class KeyChangeTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static object Body(string model = "auto") => new { model, messages = new[] { new { role = "user", content = "Where is my order?" } } };

    private KeyService Service => factory.Services.GetRequiredService<KeyService>();

    private async Task<KeyView> FindAsync(long id) => (await Service.ListAsync(includeRevoked: true, TestContext.Current.CancellationToken)).Single(k => k.Id == id);

    [Fact]
    public async Task A_changed_rate_limit_and_allowed_tiers_apply_to_the_next_request_and_are_audited()
    {
        var ct = TestContext.Current.CancellationToken;
        var (created, key) = await Service.CreateAsync(new KeyForm { Name = "crm-agent", Team = "support", RequestsPerMinute = 100 }, "alice", cancellationToken: ct);
        Assert.True(created.Saved, created.Summary);
        using var client = factory.CreateApiClient(key!.Secret);
        using (var first = await client.PostAsJsonAsync("/v1/chat/completions", Body(), ct))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        // Only the small tier from now on: a request pinned to large is refused.
        var narrowed = await Service.UpdateAsync(key.Id, new KeyForm { Name = "crm-agent", Team = "support", RequestsPerMinute = 100, AllowedTiers = ["small"] }, "alice", cancellationToken: ct);
        Assert.True(narrowed.Saved, narrowed.Summary);
        using (var pinnedLarge = await client.PostAsJsonAsync("/v1/chat/completions", Body("large"), ct))
        {
            Assert.Equal(HttpStatusCode.Forbidden, pinnedLarge.StatusCode);
        }

        // One request a minute, already spent: the next one waits.
        var slowed = await Service.UpdateAsync(key.Id, new KeyForm { Name = "crm-agent", Team = "support", RequestsPerMinute = 1, AllowedTiers = ["small"] }, "alice", cancellationToken: ct);
        Assert.True(slowed.Saved, slowed.Summary);
        using var limited = await client.PostAsJsonAsync("/v1/chat/completions", Body("small"), ct);
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.True(limited.Headers.Contains("Retry-After"));
        var view = await FindAsync(key.Id);
        Assert.Equal(1, view.RequestsPerMinute);
        Assert.Equal(["small"], view.AllowedTiers);

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct);
        var audits = await db.AuditLog.Where(a => a.Action == "api-key.update" && a.Subject.StartsWith("crm-agent")).OrderBy(a => a.Id).ToListAsync(ct);
        Assert.Equal(2, audits.Count);
        Assert.All(audits, a => Assert.Equal("alice", a.Actor));
        Assert.Contains("tiers all; models all; 100 req/min", audits[0].Details, StringComparison.Ordinal);
        Assert.Contains("→ team support; tiers small; models all; 1 req/min", audits[1].Details, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_with_an_unknown_tier_a_taken_name_or_a_bad_limit_is_refused_and_changes_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, first) = await Service.CreateAsync(new KeyForm { Name = "billing-bot", Team = "finance", TokensPerMinute = 5000 }, "alice", cancellationToken: ct);
        var (_, second) = await Service.CreateAsync(new KeyForm { Name = "analytics", Team = "finance" }, "alice", cancellationToken: ct);
        var before = await FindAsync(first!.Id);

        var unknownTier = await Service.UpdateAsync(first.Id, new KeyForm { Name = "billing-bot", Team = "finance", AllowedTiers = ["platinum"] }, "alice", cancellationToken: ct);
        var takenName = await Service.UpdateAsync(first.Id, new KeyForm { Name = "analytics", Team = "finance" }, "alice", cancellationToken: ct);
        var badLimit = await Service.UpdateAsync(first.Id, new KeyForm { Name = "billing-bot", Team = "finance", RequestsPerMinute = 0 }, "alice", cancellationToken: ct);

        Assert.Contains("'platinum' is not a tier", unknownTier.Summary, StringComparison.Ordinal);
        Assert.Contains("already named 'analytics'", takenName.Summary, StringComparison.Ordinal);
        Assert.Contains("Requests per minute must be between 1 and 1,000,000", badLimit.Summary, StringComparison.Ordinal);
        Assert.Equivalent(before, await FindAsync(first.Id));
        Assert.NotNull(second);
    }

    [Fact]
    public async Task Two_admins_changing_the_same_key_the_second_is_told_and_nothing_of_theirs_is_written()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await Service.CreateAsync(new KeyForm { Name = "helpdesk", Team = "support", RequestsPerMinute = 60 }, "alice", ct);
        var seenByAlice = await FindAsync(key!.Id);
        var seenByBob = await FindAsync(key.Id);

        var alice = await Service.UpdateAsync(key.Id, new KeyForm { Name = "helpdesk", Team = "support", RequestsPerMinute = 30 }, "alice", seenByAlice, ct);
        var bob = await Service.UpdateAsync(key.Id, new KeyForm { Name = "helpdesk", Team = "support", RequestsPerMinute = 600 }, "bob", seenByBob, ct);

        Assert.True(alice.Saved, alice.Summary);
        Assert.False(bob.Saved);
        Assert.Contains("Someone else changed 'helpdesk' since you opened it", bob.Summary, StringComparison.Ordinal);
        Assert.Equal(30, (await FindAsync(key.Id)).RequestsPerMinute);
    }

    [Fact]
    public async Task A_revoked_key_cannot_be_changed()
    {
        var ct = TestContext.Current.CancellationToken;
        var (_, key) = await Service.CreateAsync(new KeyForm { Name = "old-widget", Team = "web" }, "alice", cancellationToken: ct);
        Assert.True(await Service.RevokeAsync(key!.Id, "alice", ct));

        var result = await Service.UpdateAsync(key.Id, new KeyForm { Name = "old-widget", Team = "web", RequestsPerMinute = 10 }, "alice", cancellationToken: ct);

        Assert.False(result.Saved);
        Assert.Contains("has been revoked", result.Summary, StringComparison.Ordinal);
        Assert.Null((await FindAsync(key.Id)).RequestsPerMinute);
    }
}
