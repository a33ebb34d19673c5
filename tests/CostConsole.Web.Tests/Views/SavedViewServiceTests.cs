using CostConsole.Web.Access;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Views;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Views;

/// <summary>Saved views against a real migrated database: per user, shared by role, validated, audited, safe under concurrent saves.</summary>
public sealed class SavedViewServiceTests : IAsyncLifetime
{
    private static readonly ViewUser Ana = new("ana@test.local", Roles.FinOps);
    private static readonly ViewUser Ben = new("ben@test.local", Roles.FinOps);
    private static readonly ViewUser Ada = new("ada@test.local", Roles.Admin);

    private CatalogueDatabase _database = null!;

    private SavedViewService Service => new(_database.Factory, TimeProvider.System);

    public async ValueTask InitializeAsync() => _database = await CatalogueDatabase.CreateAsync();

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task A_saved_view_opens_the_same_page_with_exactly_the_filters_it_was_saved_with()
    {
        var ct = TestContext.Current.CancellationToken;
        const string Query = "?range=custom&from=2026-11-10&to=2026-11-11&by=team&top=20";

        var saved = await Service.SaveAsync(Ana, "  Teams in November  ", "/spend", Query, shareWithRole: false, ct);

        Assert.True(saved.Saved, saved.Summary);
        var view = Assert.Single(await Service.ListAsync(Ana, ct));
        Assert.Equal(("Teams in November", "/spend" + Query, "Spend"), (view.Name, view.Href, view.PageName));
    }

    [Fact]
    public async Task A_private_view_is_its_owners_only_and_a_shared_one_reaches_every_user_of_the_owners_role()
    {
        var ct = TestContext.Current.CancellationToken;
        await Service.SaveAsync(Ana, "Mine", "/", "?range=7d", shareWithRole: false, ct);
        await Service.SaveAsync(Ana, "For FinOps", "/", "?range=30d&team=support", shareWithRole: true, ct);

        Assert.Equal(["For FinOps", "Mine"], (await Service.ListAsync(Ana, ct)).Select(v => v.Name));
        Assert.Equal(["For FinOps"], (await Service.ListAsync(Ben, ct)).Select(v => v.Name));
        Assert.Empty(await Service.ListAsync(Ada, ct));

        // Ben sees the shared view but cannot change it.
        var shared = (await Service.ListAsync(Ben, ct)).Single();
        var rename = await Service.RenameAsync(Ben, shared.Id, "Taken over", ct);
        var delete = await Service.DeleteAsync(Ben, shared.Id, ct);
        Assert.Equal("Only ana@test.local, who saved this view, can rename it.", rename.Summary);
        Assert.Equal("Only ana@test.local, who saved this view, can delete it.", delete.Summary);
        Assert.Equal("For FinOps", (await Service.ListAsync(Ana, ct)).Single(v => v.Id == shared.Id).Name);
    }

    [Theory]
    [InlineData("", "/spend", "?by=team", "Give the view a name.")]
    [InlineData("   ", "/spend", "?by=team", "Give the view a name.")]
    [InlineData("Settings", "/settings", "", "Views can be saved from the Dashboard, Spend, Requests pages only.")]
    [InlineData("Elsewhere", "/spend", "https://example.com/?x=1", "The filters must be a query string starting with '?'.")]
    public async Task A_view_without_a_name_or_of_another_page_is_refused_and_nothing_is_saved(string name, string page, string query, string message)
    {
        var ct = TestContext.Current.CancellationToken;

        var result = await Service.SaveAsync(Ana, name, page, query, shareWithRole: false, ct);

        Assert.False(result.Saved);
        Assert.Equal(message, result.Summary);
        Assert.Empty(await Service.ListAsync(Ana, ct));
    }

    [Fact]
    public async Task A_name_is_unique_per_user_when_saving_and_renaming_but_two_users_may_use_the_same_name()
    {
        var ct = TestContext.Current.CancellationToken;
        await Service.SaveAsync(Ana, "Weekly", "/", "?range=7d", shareWithRole: false, ct);
        var other = await Service.SaveAsync(Ana, "Monthly", "/", "?range=30d", shareWithRole: false, ct);

        var again = await Service.SaveAsync(Ana, "Weekly", "/spend", "?range=7d", shareWithRole: false, ct);
        var renamed = await Service.RenameAsync(Ana, other.Id!.Value, " Weekly ", ct);
        var bens = await Service.SaveAsync(Ben, "Weekly", "/", "?range=7d", shareWithRole: false, ct);

        Assert.Equal("You already have a view named 'Weekly'. Choose another name.", again.Summary);
        Assert.Equal("You already have a view named 'Weekly'. Choose another name.", renamed.Summary);
        Assert.True(bens.Saved, bens.Summary);
        Assert.Equal(["Monthly", "Weekly"], (await Service.ListAsync(Ana, ct)).Select(v => v.Name));
    }

    [Fact]
    public async Task Ten_tabs_saving_the_same_name_at_once_leave_exactly_one_view_and_the_others_are_told_why()
    {
        var ct = TestContext.Current.CancellationToken;

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => Task.Run(() => Service.SaveAsync(Ana, "Race", "/", $"?range=7d&top={i}", shareWithRole: false, ct), ct)));

        Assert.Single(results, r => r.Saved);
        Assert.All(results.Where(r => !r.Saved), r => Assert.Equal("You already have a view named 'Race'. Choose another name.", r.Summary));
        Assert.Single(await Service.ListAsync(Ana, ct));
    }

    [Fact]
    public async Task Renaming_and_deleting_are_audited_and_a_view_deleted_meanwhile_says_so()
    {
        var ct = TestContext.Current.CancellationToken;
        var saved = await Service.SaveAsync(Ana, "Draft", "/spend", "?by=model", shareWithRole: false, ct);
        var id = saved.Id!.Value;

        Assert.True((await Service.RenameAsync(Ana, id, "Models", ct)).Saved);
        Assert.True((await Service.DeleteAsync(Ana, id, ct)).Saved);
        var late = await Service.RenameAsync(Ana, id, "Too late", ct);

        Assert.Equal("This view has been deleted meanwhile.", late.Summary);
        Assert.Empty(await Service.ListAsync(Ana, ct));
        await using var db = await _database.Factory.CreateDbContextAsync(ct);
        var audit = await db.AuditLog.AsNoTracking().Where(a => a.Action.StartsWith("saved-view.")).OrderBy(a => a.Id).ToListAsync(ct);
        Assert.Equal(
            [("saved-view.create", "Draft", "/spend?by=model"), ("saved-view.rename", "Models", "was 'Draft'"), ("saved-view.delete", "Models", (string?)null)],
            audit.Select(a => (a.Action, a.Subject, a.Details)));
        Assert.All(audit, a => Assert.Equal(Ana.Name, a.Actor));
    }
}
