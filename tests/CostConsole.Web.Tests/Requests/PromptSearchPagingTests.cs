using CostConsole.Data.Entities;
using CostConsole.Web.Requests;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Requests;

/// <summary>
/// A content search for common words on SQLite, where the page is taken from the prompt index's best matches before the
/// ledger is read: the rows the other filters keep may lie far down the relevance order, past the first matches looked at.
/// </summary>
public sealed class PromptSearchPagingTests : IAsyncLifetime
{
    private const string Short = "Where is my tracking number";
    private const string Long = "Where is my tracking number, I ordered the parcel weeks ago and the shop does not answer any of my e-mails";

    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;
    private CatalogueDatabase _database = null!;

    private RequestExplorer Explorer => new(_database.Factory);

    public async ValueTask InitializeAsync()
    {
        _database = await CatalogueDatabase.CreateAsync();
        await using var db = await _database.Factory.CreateDbContextAsync();

        // 1,200 short prompts rank above every long one (bm25 favours the shorter text), so the 30 large-tier requests
        // with the long prompt come after all of them; five more of those are older than the day searched.
        db.RequestLog.AddRange(Enumerable.Range(0, 1_200).Select(i => Row(_now.AddSeconds(-i - 1), "small", Short)));
        db.RequestLog.AddRange(Enumerable.Range(0, 30).Select(i => Row(_now.AddMinutes(-i - 1), "large", Long)));
        db.RequestLog.AddRange(Enumerable.Range(0, 5).Select(i => Row(_now.AddDays(-2).AddMinutes(-i), "large", Long)));
        await db.SaveChangesAsync();
    }

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Filtered_matches_far_down_the_relevance_order_fill_their_pages_in_order_and_the_count_is_exact()
    {
        var ct = TestContext.Current.CancellationToken;
        var query = new RequestQuery(_now.AddDays(-1), _now.AddSeconds(1), Tier: "large", Sort: RequestSort.Relevance, Text: "tracking number");

        var first = await Explorer.PageAsync(query, ct);
        var second = await Explorer.PageAsync(query with { Page = 1 }, ct);

        var large = await _database.QueryAsync(db => Task.FromResult(db.RequestLog
            .Where(r => r.Tier == "large" && r.Timestamp >= query.From).OrderByDescending(r => r.Id).Select(r => r.Id).ToList()));
        Assert.Equal(30, large.Count);
        // Equal matches in the newest-first order; the second page holds the five left and none twice.
        Assert.Equal(large.Take(25), first.Rows.Select(r => r.Id));
        Assert.Equal(large.Skip(25), second.Rows.Select(r => r.Id));
        Assert.Equal((30, false), (first.Total, first.MoreThanTotal));
        Assert.All(first.Rows, r => Assert.StartsWith("Where is my tracking number, I ordered", r.PromptPreview));
    }

    [Fact]
    public async Task Without_other_filters_the_best_matches_come_first_and_the_worst_first_when_reversed()
    {
        var ct = TestContext.Current.CancellationToken;
        var query = new RequestQuery(_now.AddDays(-1), _now.AddSeconds(1), Sort: RequestSort.Relevance, Text: "number TRACKING");

        var best = await Explorer.PageAsync(query, ct);
        var worst = await Explorer.PageAsync(query with { Descending = false }, ct);

        Assert.Equal((1_230, false), (best.Total, best.MoreThanTotal));
        Assert.All(best.Rows, r => Assert.Equal(("small", Short), (r.Tier, r.PromptPreview)));
        Assert.Equal(best.Rows.Select(r => r.Id).OrderDescending(), best.Rows.Select(r => r.Id));
        Assert.All(worst.Rows, r => Assert.Equal("large", r.Tier));
        Assert.Equal(worst.Rows.Select(r => r.Id).Order(), worst.Rows.Select(r => r.Id));
    }

    private static RequestLogRow Row(DateTimeOffset at, string tier, string prompt) => new()
    {
        RequestId = "req_" + Guid.NewGuid().ToString("N"),
        Timestamp = at,
        RequestedModel = "auto",
        Tier = tier,
        Model = tier == "large" ? "simulator/gpt-4.1" : "simulator/gpt-4.1-nano",
        Provider = "simulator",
        PromptTokens = 12,
        CompletionTokens = 40,
        CostNanoUsd = 17_000,
        BaselineCostNanoUsd = 60_000,
        HttpStatus = 200,
        Prompt = prompt,
    };
}
