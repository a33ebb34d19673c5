using CostConsole.Data.Entities;
using CostConsole.Routing.Rules;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Routing;

public sealed class RuleSetServiceTests : IAsyncLifetime
{
    private static readonly RuleDefinition Refunds = new()
    {
        Name = "refunds",
        Conditions = [new KeywordCondition(KeywordMatch.Any, ["refund"])],
        Action = RuleAction.ToTier("small"),
    };

    private CatalogueDatabase _db = null!;

    public async ValueTask InitializeAsync() => _db = await CatalogueDatabase.CreateAsync();

    public ValueTask DisposeAsync() => _db.DisposeAsync();

    [Fact]
    public async Task Opening_the_editor_writes_no_draft_and_the_first_change_starts_one_from_the_live_rule_set()
    {
        var published = await _db.RuleSets.PublishedAsync();

        var opened = await _db.RuleSets.DraftAsync("alice");

        Assert.Equal((published.Id, RuleSetStatus.Published), (opened.Id, opened.Status));
        Assert.Equal(0, await DraftRowsAsync());

        var saved = await _db.RuleSets.SaveDraftAsync(opened.Definition with { Rules = [Refunds, .. opened.Definition.Rules] }, opened.ConcurrencyStamp, "alice");

        Assert.True(saved.Done, saved.Summary);
        var draft = await _db.RuleSets.DraftAsync("bob");
        Assert.Equal((RuleSetStatus.Draft, "alice", "draft from version 1"), (draft.Status, draft.Author, draft.Note));
        Assert.Equal(["refunds", .. published.Definition.Rules.Select(r => r.Name)], draft.Definition.Rules.Select(r => r.Name));
        Assert.Equal(1, await DraftRowsAsync());
    }

    [Fact]
    public async Task A_first_change_made_after_someone_else_published_is_a_conflict_and_overwrites_nothing()
    {
        var seenByAlice = await _db.RuleSets.DraftAsync("alice");
        var bob = await _db.RuleSets.SaveDraftAsync(seenByAlice.Definition with { DefaultTier = "large" }, seenByAlice.ConcurrencyStamp, "bob");
        await _db.RuleSets.PublishAsync(bob.Version!.ConcurrencyStamp, "large by default", "bob");

        var alice = await _db.RuleSets.SaveDraftAsync(seenByAlice.Definition with { Rules = [Refunds] }, seenByAlice.ConcurrencyStamp, "alice");

        Assert.False(alice.Done);
        Assert.Contains("published, rolled back or discarded by someone else", alice.Conflict, StringComparison.Ordinal);
        Assert.Equal(0, await DraftRowsAsync());
        Assert.Equal("large", (await _db.RuleSets.DraftAsync("alice")).Definition.DefaultTier);
    }

    [Fact]
    public async Task A_rollback_discards_the_draft_so_the_next_publish_does_not_ship_the_rolled_back_change_again()
    {
        var opened = await _db.RuleSets.DraftAsync("alice");
        var saved = await _db.RuleSets.SaveDraftAsync(opened.Definition with { Rules = [Refunds] }, opened.ConcurrencyStamp, "alice");
        await _db.RuleSets.PublishAsync(saved.Version!.ConcurrencyStamp, "only refunds", "alice");
        var afterPublish = await _db.RuleSets.DraftAsync("alice");
        var edited = await _db.RuleSets.SaveDraftAsync(afterPublish.Definition with { DefaultTier = "large" }, afterPublish.ConcurrencyStamp, "alice");

        var rollback = await _db.RuleSets.RollbackAsync(1, "bob");

        Assert.True(rollback.Done, rollback.Summary);
        Assert.Equal(0, await DraftRowsAsync());
        var draft = await _db.RuleSets.DraftAsync("alice");
        Assert.Equal((3, RuleSetStatus.Published), (draft.Version, draft.Status));
        Assert.DoesNotContain(draft.Definition.Rules, r => r.Name == "refunds");
        Assert.Equal(CostConsole.Data.Catalogue.DefaultRuleSet.Create().Rules.Count, draft.Definition.Rules.Count);
        Assert.Contains("the unpublished draft was discarded", (await _db.RuleSets.AuditAsync())[0].Details, StringComparison.Ordinal);

        var stale = await _db.RuleSets.SaveDraftAsync(afterPublish.Definition, edited.Version!.ConcurrencyStamp, "alice");
        Assert.NotNull(stale.Conflict);
        Assert.Equal(0, await DraftRowsAsync());
    }

    private Task<int> DraftRowsAsync() => _db.QueryAsync(db => db.RuleSets.CountAsync(r => r.Status == RuleSetStatus.Draft));

    [Fact]
    public async Task A_draft_that_would_not_compile_is_refused_and_left_as_it_was()
    {
        var draft = await _db.RuleSets.DraftAsync("alice");
        var broken = draft.Definition with { Rules = [.. draft.Definition.Rules, Refunds with { Action = RuleAction.ToTier("huge") }] };

        var result = await _db.RuleSets.SaveDraftAsync(broken, draft.ConcurrencyStamp, "alice");

        Assert.False(result.Done);
        Assert.Contains(result.Errors, e => e.Contains("'huge'", StringComparison.Ordinal));
        Assert.Equal(draft.Definition.Rules.Count, (await _db.RuleSets.DraftAsync("alice")).Definition.Rules.Count);
    }

    [Fact]
    public async Task The_second_of_two_admins_saving_the_same_draft_gets_a_conflict()
    {
        var seenByAlice = await _db.RuleSets.DraftAsync("alice");
        var seenByBob = await _db.RuleSets.DraftAsync("bob");

        var alice = await _db.RuleSets.SaveDraftAsync(seenByAlice.Definition with { Rules = [.. seenByAlice.Definition.Rules, Refunds] }, seenByAlice.ConcurrencyStamp, "alice");
        var bob = await _db.RuleSets.SaveDraftAsync(seenByBob.Definition with { DefaultTier = "large" }, seenByBob.ConcurrencyStamp, "bob");

        Assert.True(alice.Done);
        Assert.False(bob.Done);
        Assert.Contains("alice saved the draft since you loaded it", bob.Conflict, StringComparison.Ordinal);
        var draft = await _db.RuleSets.DraftAsync("carol");
        Assert.Equal("medium", draft.Definition.DefaultTier);
        Assert.Contains(draft.Definition.Rules, r => r.Name == "refunds");
    }

    [Fact]
    public async Task Publishing_makes_the_draft_the_next_version_swaps_routing_and_is_audited()
    {
        var draft = await _db.RuleSets.DraftAsync("alice");
        var saved = await _db.RuleSets.SaveDraftAsync(draft.Definition with { Rules = [Refunds, .. draft.Definition.Rules] }, draft.ConcurrencyStamp, "alice");
        var before = _db.Routing.Current;

        var result = await _db.RuleSets.PublishAsync(saved.Version!.ConcurrencyStamp, "refunds go to small", "alice");

        Assert.True(result.Done, result.Summary);
        Assert.Equal(2, result.Version!.Version);
        Assert.NotSame(before, _db.Routing.Current);
        Assert.Equal(2, _db.Routing.Current.RuleSetVersion);
        var history = await _db.RuleSets.HistoryAsync();
        Assert.Equal([(2, RuleSetStatus.Published), (1, RuleSetStatus.Archived)], history.Select(v => (v.Version, v.Status)));
        var audit = Assert.Single(await _db.RuleSets.AuditAsync());
        Assert.Equal(("alice", "rule-set.publish", "refunds go to small"), (audit.Actor, audit.Action, audit.Details));
    }

    [Fact]
    public async Task Publishing_needs_a_note()
    {
        var draft = await _db.RuleSets.DraftAsync("alice");

        var result = await _db.RuleSets.PublishAsync(draft.ConcurrencyStamp, "  ", "alice");

        Assert.False(result.Done);
        Assert.Equal(1, _db.Routing.Current.RuleSetVersion);
    }

    [Fact]
    public async Task Rolling_back_republishes_an_old_version_as_a_new_one_and_keeps_the_history()
    {
        var draft = await _db.RuleSets.DraftAsync("alice");
        var saved = await _db.RuleSets.SaveDraftAsync(draft.Definition with { Rules = [Refunds] }, draft.ConcurrencyStamp, "alice");
        await _db.RuleSets.PublishAsync(saved.Version!.ConcurrencyStamp, "only refunds", "alice");

        var result = await _db.RuleSets.RollbackAsync(1, "bob");

        Assert.True(result.Done, result.Summary);
        Assert.Equal(3, _db.Routing.Current.RuleSetVersion);
        Assert.Equal(CostConsole.Data.Catalogue.DefaultRuleSet.Create().Rules.Count, _db.Routing.Current.RuleCount);
        Assert.Equal([3, 2, 1], (await _db.RuleSets.HistoryAsync()).Select(v => v.Version));
        Assert.Equal("rule-set.rollback", (await _db.RuleSets.AuditAsync())[0].Action);
    }

    [Fact]
    public async Task Publishing_a_draft_someone_else_already_published_is_a_conflict()
    {
        var opened = await _db.RuleSets.DraftAsync("alice");
        var draft = (await _db.RuleSets.SaveDraftAsync(opened.Definition with { Rules = [Refunds] }, opened.ConcurrencyStamp, "alice")).Version!;
        await _db.RuleSets.PublishAsync(draft.ConcurrencyStamp, "first", "alice");

        var second = await _db.RuleSets.PublishAsync(draft.ConcurrencyStamp, "second", "bob");

        Assert.NotNull(second.Conflict);
        Assert.Equal(2, _db.Routing.Current.RuleSetVersion);
        Assert.Equal(1, await _db.QueryAsync(db => db.AuditLog.CountAsync()));
    }
}
