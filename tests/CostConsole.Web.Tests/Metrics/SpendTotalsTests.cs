using CostConsole.Data;
using CostConsole.Data.Database;
using CostConsole.Data.Entities;
using CostConsole.Data.Ledger;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Metrics;
using CostConsole.Web.Privacy;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Metrics;

/// <summary>
/// End users and conversations ranked by walking their running totals rank exactly as grouping the ledger does, for any
/// range, as requests arrive and after an erasure (on SQLite; on PostgreSQL in <c>Scale</c>).
/// </summary>
public class SpendTotalsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private LedgerDatabase _database = null!;

    /// <summary>Always walks the totals, however few requests the range holds.</summary>
    private SpendReport Walking => new(_database.Factory, groupedUpTo: -1);

    private static IEnumerable<MetricsRange> Ranges =>
    [
        Days(new DateOnly(2026, 11, 1), new DateOnly(2026, 11, 10)),
        Days(new DateOnly(2026, 11, 4), new DateOnly(2026, 11, 6)),
        Days(new DateOnly(2026, 11, 5), new DateOnly(2026, 11, 5)),
        Days(new DateOnly(2026, 12, 1), new DateOnly(2026, 12, 2)),
    ];

    /// <summary>A fresh, migrated database for each test.</summary>
    protected virtual async Task<LedgerDatabase> CreateDatabaseAsync()
    {
        var catalogue = await CatalogueDatabase.CreateAsync();
        return new LedgerDatabase(catalogue.Factory, catalogue);
    }

    public async ValueTask InitializeAsync()
    {
        _database = await CreateDatabaseAsync();

        // 25 end users and 80 conversations over ten days, with costs from four values so that many sums tie.
        var random = new Random(7);
        decimal[] costs = [0m, 0.01m, 0.02m, 0.05m];
        var entries = Enumerable.Range(0, 600).Select(i => Entry(
            Start.AddMinutes(random.Next(10 * 24 * 60)).AddSeconds(random.Next(60)),
            costs[random.Next(costs.Length)],
            random.Next(10) == 0 ? null : $"u{random.Next(25):D2}",
            random.Next(8) == 0 ? null : $"c{random.Next(80):D3}")).ToList();
        foreach (var batch in entries.Chunk(150))
        {
            await WriteAsync(batch);
        }

        await FoldAsync();
    }

    public async ValueTask DisposeAsync() => await _database.Owner.DisposeAsync();

    [Fact]
    public async Task End_users_and_conversations_rank_as_grouping_the_ledger_does_for_ranges_covering_all_part_and_none_of_it()
    {
        await AssertRankingsAsync();
    }

    [Fact]
    public async Task New_requests_count_before_and_after_the_totals_fold_them()
    {
        // A quiet end user and conversation overtake everyone, and a new pair appears, inside and straddling the ranges.
        await WriteAsync(
        [
            Entry(Start.AddDays(4).AddHours(3), 1.00m, "u24", "c079"),
            Entry(Start.AddDays(5).AddMilliseconds(-1), 2.00m, "newcomer", "c-new"),
            Entry(Start.AddDays(6), 2.00m, "newcomer", "c-new"),
        ]);

        await AssertRankingsAsync();
        var top = await Walking.RankAsync(SpendDimension.User, Ranges.First(), 2, TestContext.Current.CancellationToken);
        Assert.Equal(["newcomer", "u24"], top.Rows.Select(r => r.Name));

        await FoldAsync();

        await AssertRankingsAsync();
        await AssertTotalsAsync();
    }

    [Fact]
    public async Task An_erased_end_user_leaves_the_totals_and_the_rankings_and_their_conversations_are_recounted()
    {
        var ct = TestContext.Current.CancellationToken;
        var first = (await Walking.RankAsync(SpendDimension.User, Ranges.First(), 1, ct)).Rows.Single().Name;

        await new Erasure(_database.Factory, TimeProvider.System).EraseAsync(ErasureSubject.User, first, "admin@example.com", ct);

        await using (var db = await _database.Factory.CreateDbContextAsync(ct))
        {
            Assert.False(await db.EndUserSpend.AnyAsync(r => r.Name == first, ct));
        }

        await AssertRankingsAsync();
        await AssertTotalsAsync();
        Assert.DoesNotContain(first, (await Walking.RankAsync(SpendDimension.User, Ranges.First(), 100, ct)).Rows.Select(r => r.Name));
    }

    [Fact]
    public async Task Rebuilding_the_totals_gives_the_ledger_s_sums_per_end_user_and_conversation()
    {
        await using (var db = await _database.Factory.CreateDbContextAsync(TestContext.Current.CancellationToken))
        {
            await db.EndUserSpend.ExecuteUpdateAsync(s => s.SetProperty(r => r.CostNanoUsd, 1), TestContext.Current.CancellationToken);
        }

        await SpendLedger.RollUpAsync(_database.Factory);

        await AssertTotalsAsync();
    }

    /// <summary>Writes through the ledger writer of the database's provider, as the gateway does.</summary>
    private async Task WriteAsync(IReadOnlyList<LedgerEntry> batch)
    {
        await using var db = await _database.Factory.CreateDbContextAsync();
        var connectionString = db.Database.GetConnectionString()!;
        if (db.Database.IsSqlite())
        {
            await using var sqlite = new SqliteLedgerBatchWriter(connectionString, new LedgerOptions(), new SemaphoreSlim(1, 1));
            await sqlite.WriteAsync(batch);
            return;
        }

        await using var database = new CostConsoleDatabase(DatabaseProvider.PostgreSql, connectionString);
        await using var postgreSql = new PostgreSqlLedgerBatchWriter(database, new LedgerOptions());
        await postgreSql.WriteAsync(batch);
    }

    /// <summary>What the rollups' background loop does on its next flush.</summary>
    private async Task FoldAsync()
    {
        await using var db = await _database.Factory.CreateDbContextAsync();
        await using var database = new CostConsoleDatabase(db.Database.IsSqlite() ? DatabaseProvider.Sqlite : DatabaseProvider.PostgreSql, db.Database.GetConnectionString()!);
        await using var rollups = new RollupStore(database, TimeProvider.System, TimeSpan.FromHours(1));
        await rollups.FlushAsync();
    }

    private async Task AssertRankingsAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        List<RequestLogRow> ledger;
        await using (var db = await _database.Factory.CreateDbContextAsync(ct))
        {
            ledger = await db.RequestLog.AsNoTracking().ToListAsync(ct);
        }

        foreach (var (by, group) in new (SpendDimension, Func<RequestLogRow, string?>)[] { (SpendDimension.User, r => r.EndUser), (SpendDimension.Conversation, r => r.ConversationId) })
        {
            foreach (var range in Ranges)
            {
                foreach (var top in new[] { 1, 3, 10, 100 })
                {
                    var current = Sums(ledger, group, range);
                    var previous = Sums(ledger, group, range.Previous);
                    var expected = current.OrderByDescending(g => g.Value.CostNanoUsd).ThenBy(g => g.Key, StringComparer.Ordinal)
                        .Take(top).Select(g => (g.Key, g.Value, previous.GetValueOrDefault(g.Key, SpendFigures.Empty))).ToList();

                    var ranking = await Walking.RankAsync(by, range, top, ct);

                    Assert.Equal(expected, ranking.Rows.Select(r => (r.Name, r.Current, r.Previous)));
                    Assert.Equal(current.Count > top, ranking.More);
                }
            }
        }
    }

    private async Task AssertTotalsAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var db = await _database.Factory.CreateDbContextAsync(ct);
        var ledger = await db.RequestLog.AsNoTracking().ToListAsync(ct);
        Assert.Equal(Totals(ledger, r => r.EndUser), Totals(await db.EndUserSpend.AsNoTracking().ToListAsync(ct)));
        Assert.Equal(Totals(ledger, r => r.ConversationId), Totals(await db.ConversationSpend.AsNoTracking().ToListAsync(ct)));
    }

    private static Dictionary<string, SpendFigures> Sums(List<RequestLogRow> ledger, Func<RequestLogRow, string?> group, MetricsRange range) =>
        ledger.Where(r => group(r) is not null && r.Timestamp >= range.From && r.Timestamp < range.To)
            .GroupBy(r => group(r)!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new SpendFigures(g.Count(), g.Sum(r => r.CostNanoUsd), g.Sum(r => r.BaselineCostNanoUsd)), StringComparer.Ordinal);

    private static List<(string, long, long, long, long, long)> Totals(List<RequestLogRow> ledger, Func<RequestLogRow, string?> group) =>
    [
        .. ledger.Where(r => group(r) is not null).GroupBy(r => group(r)!, StringComparer.Ordinal)
            .Select(g => (g.Key, (long)g.Count(), g.Sum(r => r.CostNanoUsd), g.Sum(r => r.BaselineCostNanoUsd),
                g.Min(r => r.Timestamp).ToUnixTimeMilliseconds(), g.Max(r => r.Timestamp).ToUnixTimeMilliseconds()))
            .OrderBy(t => t.Key, StringComparer.Ordinal),
    ];

    private static List<(string, long, long, long, long, long)> Totals(IEnumerable<SpendTotalRow> rows) =>
        [.. rows.Select(r => (r.Name, r.Requests, r.CostNanoUsd, r.BaselineCostNanoUsd, r.First, r.Last)).OrderBy(t => t.Name, StringComparer.Ordinal)];

    private static MetricsRange Days(DateOnly from, DateOnly to) => MetricsRange.Create(RangeKind.Custom, DateTimeOffset.UtcNow, from, to);

    private static LedgerEntry Entry(DateTimeOffset at, decimal cost, string? user, string? conversation) => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        Cost = cost,
        BaselineCost = (2 * cost) + 0.01m,
        EndUser = user,
        ConversationId = conversation,
        Status = LedgerStatus.Answered,
        HttpStatus = 200,
    };
}
