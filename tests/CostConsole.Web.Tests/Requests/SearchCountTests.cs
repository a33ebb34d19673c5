using CostConsole.Data.Entities;
using CostConsole.Web.Requests;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Tests.Metrics;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Requests;

/// <summary>
/// A word found in more requests than the explorer counts: the count is exact up to <see cref="RequestExplorer.CountLimit"/>
/// and reads "more than" past it, relevance ranks the newest thousand matches before the next, and the other filters
/// narrow the matches to an exact count again (on SQLite; on PostgreSQL in <c>Scale</c>).
/// </summary>
public class SearchCountTests : IAsyncLifetime
{
    private const string Often = "refund refund refund, please";
    private const string Once = "I would like to ask about a refund for the order I placed last week, it never arrived at my address";

    /// <summary>10,100 matches a second apart from midnight; 1,000 newer ones three minutes apart two days later.</summary>
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset Later = Start.AddDays(2);

    private LedgerDatabase _database = null!;

    private RequestExplorer Explorer => new(_database.Factory);

    /// <summary>A fresh, migrated database for each test.</summary>
    protected virtual async Task<LedgerDatabase> CreateDatabaseAsync()
    {
        var catalogue = await CatalogueDatabase.CreateAsync();
        return new LedgerDatabase(catalogue.Factory, catalogue);
    }

    public async ValueTask InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        await using var db = await _database.Factory.CreateDbContextAsync();

        // Written oldest first, as a ledger fills: the early burst first, then the newer requests.
        db.RequestLog.AddRange(Enumerable.Range(0, 10_100).Select(i => Row(Start.AddSeconds(i), "small", Often)));
        db.RequestLog.AddRange(Enumerable.Range(0, 20).Select(i => Row(Start.AddSeconds(i).AddMilliseconds(500), "small", "Where is my parcel?")));
        await db.SaveChangesAsync();
        // Among the newer requests every 25th was answered on the large tier, and ten (all on the large tier) hold the word
        // three times.
        db.RequestLog.AddRange(Enumerable.Range(0, 1_000).Select(i =>
            Row(Later.AddMinutes(3 * i), i % 25 == 0 ? "large" : "small", i % 100 == 50 ? Often : Once)));
        await db.SaveChangesAsync();
    }

    public async ValueTask DisposeAsync() => await _database.Owner.DisposeAsync();

    [Fact]
    public async Task Up_to_ten_thousand_matches_are_counted_exactly_and_one_more_reads_more_than_ten_thousand()
    {
        var ct = TestContext.Current.CancellationToken;
        var exactly = new RequestQuery(Start, Start.AddSeconds(10_000), Text: "refund");

        var newest = await Explorer.PageAsync(exactly, ct);
        var byRelevance = await Explorer.PageAsync(exactly with { Sort = RequestSort.Relevance }, ct);
        var oneMore = await Explorer.PageAsync(exactly with { To = Start.AddSeconds(10_001) }, ct);

        Assert.Equal((10_000, false), (newest.Total, newest.MoreThanTotal));
        Assert.Equal((10_000, false), (byRelevance.Total, byRelevance.MoreThanTotal));
        Assert.Equal((RequestExplorer.CountLimit, true), (oneMore.Total, oneMore.MoreThanTotal));
        // The requests without the word between them are neither counted nor listed.
        Assert.Equal(Enumerable.Range(0, 25).Select(i => Start.AddSeconds(9_999 - i)), newest.Rows.Select(r => r.Timestamp));
        Assert.Equal(Start.AddSeconds(10_000), oneMore.Rows[0].Timestamp);
    }

    [Fact]
    public async Task Past_ten_thousand_matches_relevance_ranks_the_newest_thousand_first_then_the_next_thousand()
    {
        var ct = TestContext.Current.CancellationToken;
        var all = new RequestQuery(Start, Start.AddDays(10), Sort: RequestSort.Relevance, Text: "refund");

        var first = await Explorer.PageAsync(all, ct);
        var fortyFirst = await Explorer.PageAsync(all with { Page = 40 }, ct);
        var newestFirst = await Explorer.PageAsync(all with { Sort = RequestSort.Time }, ct);

        Assert.Equal((RequestExplorer.CountLimit, true), (first.Total, first.MoreThanTotal));
        // The ten newer requests with the word three times lead, newest first, then the newer ones with it once: none
        // of the 10,100 older requests, all with it three times, comes before the newest thousand are through.
        var often = Enumerable.Range(0, 10).Select(i => Later.AddMinutes(3 * (950 - 100 * i)));
        var once = Enumerable.Range(0, 1_000).Reverse().Where(i => i % 100 != 50).Take(15).Select(i => Later.AddMinutes(3 * i));
        Assert.Equal(often.Concat(once), first.Rows.Select(r => r.Timestamp));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => Start.AddSeconds(10_099 - i)), fortyFirst.Rows.Select(r => r.Timestamp));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => Later.AddMinutes(3 * (999 - i))), newestFirst.Rows.Select(r => r.Timestamp));
        Assert.True(newestFirst.MoreThanTotal);
    }

    [Fact]
    public async Task Another_filter_narrows_a_common_word_to_an_exact_count_listed_in_the_grids_order()
    {
        var ct = TestContext.Current.CancellationToken;
        var large = new RequestQuery(Start, Start.AddDays(10), Tier: "large", Text: "refund");

        var newest = await Explorer.PageAsync(large, ct);
        var second = await Explorer.PageAsync(large with { Page = 1 }, ct);
        var cheapest = await Explorer.PageAsync(large with { Sort = RequestSort.Cost, Descending = false }, ct);
        var byRelevance = await Explorer.PageAsync(large with { Sort = RequestSort.Relevance }, ct);

        var expected = await LargeNewestFirstAsync();
        Assert.Equal(40, expected.Count);
        Assert.Equal((40, false), (newest.Total, newest.MoreThanTotal));
        Assert.Equal(expected.Take(25), newest.Rows.Select(r => r.Id));
        Assert.Equal(expected.Skip(25), second.Rows.Select(r => r.Id));
        // Costs rise with time, so the cheapest are the oldest.
        Assert.Equal(expected.AsEnumerable().Reverse().Take(25), cheapest.Rows.Select(r => r.Id));
        Assert.Equal((40, false), (byRelevance.Total, byRelevance.MoreThanTotal));
        var tiers = Enumerable.Range(0, 1_000).Where(i => i % 25 == 0).Reverse().ToList();
        var best = tiers.Where(i => i % 100 == 50).Concat(tiers.Where(i => i % 100 != 50)).Take(25);
        Assert.Equal(best.Select(i => Later.AddMinutes(3 * i)), byRelevance.Rows.Select(r => r.Timestamp));
    }

    private async Task<List<long>> LargeNewestFirstAsync()
    {
        await using var db = await _database.Factory.CreateDbContextAsync();
        return await db.RequestLog.Where(r => r.Tier == "large").OrderByDescending(r => r.Id).Select(r => r.Id).ToListAsync();
    }

    private static RequestLogRow Row(DateTimeOffset at, string tier, string prompt) => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        RequestedModel = "auto",
        Tier = tier,
        Model = tier == "large" ? "simulator/gpt-4.1" : "simulator/gpt-4.1-nano",
        Provider = "simulator",
        PromptTokens = 20,
        CompletionTokens = 40,
        CostNanoUsd = (at - Start).Ticks / TimeSpan.TicksPerSecond,
        BaselineCostNanoUsd = 60_000,
        HttpStatus = 200,
        Prompt = prompt,
    };
}
