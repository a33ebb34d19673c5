using System.Collections.Concurrent;
using System.Data.Common;
using System.Text.RegularExpressions;
using CostConsole.Data;
using CostConsole.Data.Metrics;
using CostConsole.Web.Alerts;
using CostConsole.Web.Experiments;
using CostConsole.Web.Metrics;
using CostConsole.Web.Requests;
using CostConsole.Web.Review;
using CostConsole.Web.Routing;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>
/// The ledger's indexes on columns most requests leave empty (conversation, end user, experiment, cache verdict, shadow,
/// open review) hold only the rows with a value, so that a request without them costs its commit nothing there. SQLite
/// chooses such an index only when the query says the value is there; each feature that reads one is run here as the
/// console runs it, and SQLite's plan for its ledger query must name the index, not scan the ledger.
/// </summary>
public sealed class SparseLedgerIndexTests : IAsyncLifetime
{
    private readonly QueryPlans _plans = new();
    private CatalogueDatabase _catalogue = null!;
    private IDbContextFactory<CostConsoleDbContext> _factory = null!;

    public async ValueTask InitializeAsync()
    {
        _catalogue = await CatalogueDatabase.CreateAsync();
        await using var db = await _catalogue.Factory.CreateDbContextAsync();
        var options = new DbContextOptionsBuilder<CostConsoleDbContext>()
            .UseSqlite(db.Database.GetConnectionString())
            .AddInterceptors(_plans)
            .Options;
        _factory = new ContextFactory(options);
        await SpendLedger.SeedAsync(_factory);
        _plans.Clear();
    }

    public async ValueTask DisposeAsync() => await _catalogue.DisposeAsync();

    [Fact]
    public async Task The_review_queue_counts_and_pages_the_open_reviews_from_their_index()
    {
        var queue = new ReviewQueue(_factory, TimeProvider.System);

        await queue.OpenCountAsync(TestContext.Current.CancellationToken);
        await queue.PageAsync(0, 25, TestContext.Current.CancellationToken);

        _plans.AssertEveryLedgerQueryUses("IX_RequestLog_Review_Timestamp", expectedQueries: 3);
    }

    [Fact]
    public async Task An_experiments_request_counts_and_samples_come_from_the_experiment_index()
    {
        var experiments = new ExperimentService(_factory, _catalogue.Compiler, _catalogue.Routing, TimeProvider.System, _catalogue.RuleSets);

        await experiments.RequestCountsAsync(TestContext.Current.CancellationToken);
        await experiments.SamplesAsync(1, TestContext.Current.CancellationToken);

        _plans.AssertEveryLedgerQueryUses("IX_RequestLog_ExperimentId_Arm", expectedQueries: 2);
    }

    [Fact]
    public async Task A_shadows_comparison_reads_the_shadows_rows_from_the_shadow_index()
    {
        var shadows = new ShadowComparer(_factory, _catalogue.Routing);

        await shadows.CompareAsync("gpt-4.1-mini", DateTimeOffset.UtcNow.AddDays(-7), null, TestContext.Current.CancellationToken);

        _plans.AssertEveryLedgerQueryUses(ShadowComparer.ShadowIndex, expectedQueries: 1);
    }

    [Fact]
    public async Task The_cache_hit_rate_alert_reads_the_cache_verdicts_from_their_index()
    {
        await using (var db = await _factory.CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            await AlertLedger.CacheHitRateAsync(db, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow, MetricsFilter.None, TestContext.Current.CancellationToken);
        }

        _plans.AssertEveryLedgerQueryUses("IX_RequestLog_CacheLevel_Timestamp", expectedQueries: 1);
    }

    [Theory]
    [InlineData(SpendDimension.User, SpendIndexes.EndUser)]
    [InlineData(SpendDimension.Conversation, SpendIndexes.Conversation)]
    public async Task Spend_ranks_end_users_and_conversations_from_their_covering_index(SpendDimension by, string index)
    {
        var ranking = await new SpendReport(_factory).RankAsync(by, SpendLedger.Range, 10, TestContext.Current.CancellationToken);

        Assert.NotEmpty(ranking.Rows);
        _plans.AssertEveryLedgerQueryUses(index, expectedQueries: 2, among: sql => sql.Contains("INDEXED BY", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Spend_walks_the_end_users_totals_and_sums_each_candidate_from_the_covering_index()
    {
        // Past the grouping limit the ranking reads the totals and sums each candidate through the index by name (IN):
        // SQLite refuses INDEXED BY outright if the query no longer implies the index's condition.
        var ranking = await new SpendReport(_factory, groupedUpTo: 0).RankAsync(SpendDimension.User, SpendLedger.Range, 10, TestContext.Current.CancellationToken);

        Assert.Equal(["bob", "alice"], ranking.Rows.Select(r => r.Name));
    }

    [Theory]
    [InlineData("alice", null, SpendIndexes.EndUser)]
    [InlineData(null, "c1", SpendIndexes.Conversation)]
    public async Task The_explorer_filters_by_end_user_or_conversation_on_their_index(string? user, string? conversation, string index)
    {
        var explorer = new RequestExplorer(_factory);

        var page = await explorer.PageAsync(
            new RequestQuery(SpendLedger.Range.From, SpendLedger.Range.To, EndUser: user, Conversation: conversation), TestContext.Current.CancellationToken);

        Assert.NotEmpty(page.Rows);
        _plans.AssertEveryLedgerQueryUses(index, expectedQueries: 2);
    }

    [Fact]
    public async Task A_conversations_turns_are_read_from_the_conversation_index()
    {
        var page = await new ConversationView(_factory).PageAsync("c1", 0, 25, TestContext.Current.CancellationToken);

        Assert.NotNull(page);
        _plans.AssertEveryLedgerQueryUses(SpendIndexes.Conversation, expectedQueries: 4);
    }

    private sealed class ContextFactory(DbContextOptions<CostConsoleDbContext> options) : IDbContextFactory<CostConsoleDbContext>
    {
        public CostConsoleDbContext CreateDbContext() => new(options);
    }

    /// <summary>Asks SQLite how it would run each query the console sends, just before it runs it.</summary>
    private sealed class QueryPlans : DbCommandInterceptor
    {
        private readonly ConcurrentQueue<(string Sql, string Plan)> _plans = new();

        public void Clear() => _plans.Clear();

        public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
        {
            Record(command);
            return result;
        }

        public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
            DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
        {
            Record(command);
            return ValueTask.FromResult(result);
        }

        /// <summary>
        /// Every query of the ledger (among those <paramref name="among"/> picks) searches or walks <paramref name="index"/>,
        /// and none reads the ledger's rows in table order.
        /// </summary>
        public void AssertEveryLedgerQueryUses(string index, int expectedQueries, Func<string, bool>? among = null)
        {
            var ledger = _plans.Where(p => p.Sql.Contains("FROM \"RequestLog\"", StringComparison.Ordinal) || p.Sql.Contains("FROM RequestLog", StringComparison.Ordinal))
                .Where(p => among?.Invoke(p.Sql) ?? true)
                .ToList();
            Assert.Equal(expectedQueries, ledger.Count);
            var uses = new Regex($@"^(SEARCH|SCAN) \S+ USING (COVERING )?INDEX {index}( |$)");
            Assert.All(ledger, p =>
            {
                var lines = p.Plan.Split('\n');
                Assert.True(lines.Any(uses.IsMatch), $"The ledger query does not use {index}:\n{p.Sql}\nPlan:\n{p.Plan}");
                Assert.DoesNotContain(lines, l => l is "SCAN r" or "SCAN RequestLog");
            });
        }

        private void Record(DbCommand command)
        {
            using var explain = command.Connection!.CreateCommand();
            explain.Transaction = command.Transaction;
            explain.CommandText = "EXPLAIN QUERY PLAN " + command.CommandText;
            foreach (SqliteParameter parameter in command.Parameters)
            {
                explain.Parameters.Add(new SqliteParameter(parameter.ParameterName, parameter.Value));
            }

            var lines = new List<string>();
            using (var reader = explain.ExecuteReader())
            {
                while (reader.Read())
                {
                    lines.Add(reader.GetString(3));
                }
            }

            _plans.Enqueue((command.CommandText, string.Join('\n', lines)));
        }
    }
}
