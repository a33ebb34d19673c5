using Microsoft.EntityFrameworkCore;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>A database the ledger tests write to and what to dispose of when they are done.</summary>
public sealed record LedgerDatabase(IDbContextFactory<CostConsole.Data.CostConsoleDbContext> Factory, IAsyncDisposable Owner);

/// <summary>The Spend ranking against a ledger whose figures were worked out by hand (on SQLite; on PostgreSQL in <c>Scale</c>).</summary>
public class SpendReportTests : IAsyncLifetime
{
    private LedgerDatabase _database = null!;

    private SpendReport Report => new(_database.Factory);

    /// <summary>A fresh, migrated database for each test.</summary>
    protected virtual async Task<LedgerDatabase> CreateDatabaseAsync()
    {
        var catalogue = await CatalogueDatabase.CreateAsync();
        return new LedgerDatabase(catalogue.Factory, catalogue);
    }

    public async ValueTask InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        await SpendLedger.SeedAsync(_database.Factory);
    }

    public async ValueTask DisposeAsync() => await _database.Owner.DisposeAsync();

    [Fact]
    public async Task Keys_are_ranked_by_spend_with_savings_cost_per_request_and_the_change_against_the_two_days_before()
    {
        var ranking = await Report.RankAsync(SpendDimension.Key, SpendLedger.Range, 10, TestContext.Current.CancellationToken);

        Assert.Equal(["billing", "support-bot", "crm", SpendReport.NoKey], ranking.Rows.Select(r => r.Name));
        var billing = ranking.Rows[0];
        Assert.Equal(2.00m, billing.Current.Spend);
        Assert.Equal(0.50m, billing.Current.Savings);
        Assert.Equal(-0.5, billing.SpendChange);
        var supportBot = ranking.Rows[1];
        Assert.Equal((2L, 1.50m, 4.50m, 0.75m), (supportBot.Current.Requests, supportBot.Current.Spend, supportBot.Current.Savings, supportBot.Current.CostPerRequest));
        Assert.Equal(1.0, supportBot.SpendChange);
        Assert.Null(ranking.Rows[2].SpendChange);
        Assert.False(ranking.More);

        Assert.Equal((5L, 3.85m, 5.75m), (ranking.Total.Requests, ranking.Total.Spend, ranking.Total.Savings));
        Assert.Equal(4.75m, ranking.PreviousTotal.Spend);
        Assert.Equal((3.85 - 4.75) / 4.75, ranking.SpendChange!.Value, 9);
    }

    [Fact]
    public async Task Teams_add_up_their_keys_and_requests_without_a_key_have_no_team()
    {
        var ranking = await Report.RankAsync(SpendDimension.Team, SpendLedger.Range, 10, TestContext.Current.CancellationToken);

        Assert.Equal(["finance", "support", SpendReport.NoTeam], ranking.Rows.Select(r => r.Name));
        var support = ranking.Rows[1];
        Assert.Equal((3L, 1.75m, 5.25m), (support.Current.Requests, support.Current.Spend, support.Current.Savings));
        Assert.Equal((1.75 - 0.75) / 0.75, support.SpendChange!.Value, 9);
    }

    [Fact]
    public async Task A_request_counts_for_the_team_its_key_had_when_it_was_recorded_not_the_team_it_has_now()
    {
        var ct = TestContext.Current.CancellationToken;
        await using (var db = await _database.Factory.CreateDbContextAsync(ct))
        {
            // The crm key's request was made while the key was in sales; the key is in support now.
            var crm = await db.ApiKeys.SingleAsync(k => k.Name == "crm", ct);
            var row = await db.RequestLog.SingleAsync(r => r.ApiKeyId == crm.Id, ct);
            row.Team = "sales";
            await db.SaveChangesAsync(ct);
        }

        await SpendLedger.RollUpAsync(_database.Factory);

        var ranking = await Report.RankAsync(SpendDimension.Team, SpendLedger.Range, 10, ct);

        Assert.Equal(["finance", "support", "sales", SpendReport.NoTeam], ranking.Rows.Select(r => r.Name));
        Assert.Equal((2L, 1.50m), (ranking.Rows[1].Current.Requests, ranking.Rows[1].Current.Spend));
        Assert.Equal((1L, 0.25m), (ranking.Rows[2].Current.Requests, ranking.Rows[2].Current.Spend));
    }

    [Fact]
    public async Task Models_and_conversations_are_ranked_and_top_n_says_more_follow()
    {
        var ct = TestContext.Current.CancellationToken;
        var models = await Report.RankAsync(SpendDimension.Model, SpendLedger.Range, 10, ct);
        var conversations = await Report.RankAsync(SpendDimension.Conversation, SpendLedger.Range, 1, ct);
        var allConversations = await Report.RankAsync(SpendDimension.Conversation, SpendLedger.Range, 10, ct);

        Assert.Equal([("gpt-4o", 2.00m), ("gpt-4o-mini", 1.75m), (SpendReport.NoModel, 0.10m)], models.Rows.Select(r => (r.Name, r.Current.Spend)));
        Assert.Equal(["c2"], conversations.Rows.Select(r => r.Name));
        Assert.True(conversations.More);
        Assert.Equal([("c2", 2.00m, (double?)null), ("c1", 1.50m, 1.0)], allConversations.Rows.Select(r => (r.Name, r.Current.Spend, r.SpendChange)));
        Assert.False(allConversations.More);
        Assert.Equal(3.85m, conversations.Total.Spend);
    }

    [Fact]
    public async Task End_users_are_ranked_by_their_requests_across_keys_and_requests_without_a_user_are_left_out()
    {
        var ranking = await Report.RankAsync(SpendDimension.User, SpendLedger.Range, 10, TestContext.Current.CancellationToken);

        Assert.Equal([("bob", 1L, 2.00m, (double?)null), ("alice", 3L, 1.75m, (1.75 - 0.75) / 0.75)], ranking.Rows.Select(r => (r.Name, r.Current.Requests, r.Current.Spend, r.SpendChange)));
        Assert.Equal(5.25m, ranking.Rows[1].Current.Savings);
        Assert.Equal(3.85m, ranking.Total.Spend);
        Assert.Equal(SpendDimension.User, SpendReport.ParseDimension("user"));
    }

    [Fact]
    public async Task A_range_with_no_requests_ranks_nothing()
    {
        var lastDay = MetricsRange.Create(RangeKind.Day, DateTimeOffset.UtcNow);

        var ranking = await Report.RankAsync(SpendDimension.Team, lastDay, 10, TestContext.Current.CancellationToken);

        Assert.Empty(ranking.Rows);
        Assert.Equal(0, ranking.Total.Requests);
        Assert.Null(ranking.SpendChange);
    }

    [Fact]
    public async Task The_last_day_counts_its_settled_hours_from_the_rollups_and_its_first_part_hour_and_last_minutes_from_the_ledger_once_each()
    {
        var ct = TestContext.Current.CancellationToken;
        var now = DateTimeOffset.UtcNow;
        long supportBot;
        await using (var db = await _database.Factory.CreateDbContextAsync(ct))
        {
            supportBot = (await db.ApiKeys.SingleAsync(k => k.Name == "support-bot", ct)).Id;
            db.RequestLog.AddRange(
                SpendLedger.Row(supportBot, now.AddHours(-24).AddMinutes(1), "gpt-4o-mini", 0.01m, 0.04m, null),
                SpendLedger.Row(supportBot, now.AddHours(-5), "gpt-4o-mini", 0.02m, 0.08m, null),
                SpendLedger.Row(null, now.AddHours(-25), "gpt-4o", 5.00m, 5.00m, null));
            await db.SaveChangesAsync(ct);
        }

        await SpendLedger.RollUpAsync(_database.Factory);
        await using (var db = await _database.Factory.CreateDbContextAsync(ct))
        {
            // Committed after the rollups were written, as a request of the last minutes is before the next flush.
            db.RequestLog.Add(SpendLedger.Row(supportBot, now.AddMinutes(-2), "gpt-4o", 0.04m, 0.16m, null));
            await db.SaveChangesAsync(ct);
        }

        var ranking = await Report.RankAsync(SpendDimension.Model, MetricsRange.Create(RangeKind.Day, now), 10, ct);

        Assert.Equal([("gpt-4o", 1L, 0.04m), ("gpt-4o-mini", 2L, 0.03m)], ranking.Rows.Select(r => (r.Name, r.Current.Requests, r.Current.Spend)));
        Assert.Equal((3L, 0.07m, 0.21m), (ranking.Total.Requests, ranking.Total.Spend, ranking.Total.Savings));
        Assert.Equal((1L, 5.00m), (ranking.PreviousTotal.Requests, ranking.PreviousTotal.Spend));
    }

    [Fact]
    public void An_unknown_dimension_in_a_link_is_refused_with_the_names_to_use()
    {
        var refused = Assert.Throws<MetricsInputException>(() => SpendReport.ParseDimension("customer"));
        Assert.Equal("Unknown dimension 'customer'. Use key, team, user, model or conversation.", refused.Message);
    }
}
