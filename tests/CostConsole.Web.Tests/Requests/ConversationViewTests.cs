using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Requests;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Tests.Requests;

/// <summary>A conversation's turns in order, its totals and its pages, against rows whose figures are known.</summary>
public sealed class ConversationViewTests : IAsyncLifetime
{
    internal static readonly DateTimeOffset Start = new(2026, 11, 10, 9, 0, 0, TimeSpan.Zero);

    private CatalogueDatabase _database = null!;

    private ConversationView View => new(_database.Factory);

    public async ValueTask InitializeAsync()
    {
        _database = await CatalogueDatabase.CreateAsync();
        await SeedAsync(_database.Factory);
    }

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    /// <summary>
    /// Conversation "runaway": 120 turns a minute apart, each a cent dearer than the one before (turn n costs n cents
    /// against a baseline of 2n cents), every tenth escalated, turn 7 failed; written out of order. Another
    /// conversation and a request without one are beside it.
    /// </summary>
    internal static async Task SeedAsync(IDbContextFactory<CostConsoleDbContext> factory)
    {
        await using var db = await factory.CreateDbContextAsync();
        var rows = Enumerable.Range(1, 120).Reverse().Select(n => new RequestLogRow
        {
            RequestId = $"req_turn{n:000}" + new string('a', 24),
            Timestamp = Start.AddMinutes(n),
            ConversationId = "runaway",
            EndUser = n == 1 ? "customer-42" : null,
            Tier = n % 10 == 0 ? "large" : "small",
            Model = n % 10 == 0 ? "simulator/gpt-4.1" : "simulator/gpt-4.1-nano",
            Status = n == 7 ? (int)LedgerStatus.Failed : (int)LedgerStatus.Answered,
            HttpStatus = n == 7 ? 502 : 200,
            PromptTokens = 100 * n,
            CompletionTokens = 10,
            CostNanoUsd = Money.ToNanoUsd(0.01m * n),
            BaselineCostNanoUsd = Money.ToNanoUsd(0.02m * n),
            Escalations = n % 10 == 0 ? 1 : 0,
            LatencyMs = 100 + n,
        }).ToList();
        rows.Add(new RequestLogRow { RequestId = "req_other" + new string('b', 27), Timestamp = Start, ConversationId = "other", CostNanoUsd = Money.ToNanoUsd(5m), HttpStatus = 200 });
        rows.Add(new RequestLogRow { RequestId = "req_none" + new string('c', 28), Timestamp = Start, CostNanoUsd = Money.ToNanoUsd(7m), HttpStatus = 200 });
        db.RequestLog.AddRange(rows);
        await db.SaveChangesAsync();
    }

    [Fact]
    public async Task The_first_page_lists_the_earliest_turns_in_order_with_the_whole_conversations_totals()
    {
        var page = await View.PageAsync("runaway", 0, 50, TestContext.Current.CancellationToken);

        Assert.NotNull(page);
        Assert.Equal(Enumerable.Range(1, 50), page.Turns.Select(t => t.Number));
        Assert.Equal(Start.AddMinutes(1), page.Turns[0].Timestamp);
        Assert.Equal((0.07m, 0.14m, 0.07m, LedgerStatus.Failed), (page.Turns[6].Cost, page.Turns[6].Baseline, page.Turns[6].Savings, page.Turns[6].LedgerStatus));
        Assert.Equal(("large", 1), (page.Turns[9].Tier, page.Turns[9].Escalations));

        // 1 + 2 + … + 120 = 7,260 cents.
        var totals = page.Totals;
        Assert.Equal((120, 72.60m, 145.20m, 72.60m, 12), (totals.Turns, totals.Cost, totals.Baseline, totals.Savings, totals.Escalations));
        Assert.Equal((Start.AddMinutes(1), Start.AddMinutes(120)), (totals.First, totals.Last));
        Assert.Equal(["customer-42"], totals.Users);
        Assert.Equal(3, page.Pages);
    }

    [Fact]
    public async Task The_last_page_holds_the_remaining_turns_and_a_page_past_the_end_shows_the_last()
    {
        var last = await View.PageAsync("runaway", 2, 50, TestContext.Current.CancellationToken);
        var past = await View.PageAsync("runaway", 9, 50, TestContext.Current.CancellationToken);

        Assert.Equal(Enumerable.Range(101, 20), last!.Turns.Select(t => t.Number));
        Assert.Equal(1.20m, last.Turns[^1].Cost);
        Assert.Equal((2, 101), (past!.Page, past.Turns[0].Number));
    }

    [Fact]
    public async Task An_id_no_request_carries_has_no_conversation()
    {
        Assert.Null(await View.PageAsync("never-seen", 0, 50, TestContext.Current.CancellationToken));
        Assert.Equal("/conversations/a%2Fb%20c", ConversationView.Url("a/b c"));
    }
}
