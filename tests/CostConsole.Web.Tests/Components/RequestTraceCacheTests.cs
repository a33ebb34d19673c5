using Bunit;
using CostConsole.Data.Entities;
using CostConsole.Web.Access;
using CostConsole.Web.Components.Requests;
using CostConsole.Web.Requests;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Components;

/// <summary>The request trace says what the response cache did and links a hit to the entry that answered it.</summary>
public sealed class RequestTraceCacheTests : ConsoleTestContext
{
    private IRenderedComponent<RequestTrace> RenderTrace(string level, string? entry = null, double? similarity = null)
    {
        Services.AddSingleton(new CostConsole.Web.Experiments.FeedbackService(Database.Factory, TimeProvider.System));
        var row = new RequestLogRow
        {
            RequestId = "req_cachedaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            Timestamp = DateTimeOffset.UtcNow,
            Status = (int)CostConsole.Routing.Pipeline.LedgerStatus.Answered,
            HttpStatus = 200,
            CacheLevel = level,
            CacheEntryId = entry,
            CacheSimilarity = similarity,
            CacheAvoidedCostNanoUsd = entry is null ? 0 : 1_250_000,
        };
        return Render<RequestTrace>(p => p.Add(c => c.Detail, new RequestDetail(row, "support", [])));
    }

    [Fact]
    public void A_semantic_hit_shows_its_similarity_and_saving_and_links_to_its_entry_on_the_cache_page()
    {
        var cut = RenderTrace("semantic", "ce_0123abcd", 0.9312);

        Assert.StartsWith("semantic hit at similarity 0.931, saved $0.001250", cut.Find("[data-testid='trace-cache']").TextContent.Trim(), StringComparison.Ordinal);
        Assert.Equal("/cache?entry=ce_0123abcd", cut.Find("[data-testid='trace-cache-entry']").GetAttribute("href"));
    }

    [Fact]
    public void Someone_who_cannot_open_the_cache_page_sees_the_entry_without_a_link()
    {
        SignInAs(Roles.FinOps);

        var cut = RenderTrace("exact", "ce_0123abcd", 1);

        Assert.Contains("exact hit, saved $0.001250 · entry ce_0123abcd", cut.Find("[data-testid='trace-cache']").TextContent, StringComparison.Ordinal);
        Assert.Empty(cut.FindAll("[data-testid='trace-cache-entry']"));
    }

    [Theory]
    [InlineData("miss", "miss")]
    [InlineData("bypass", "not looked up (left out by the cache policy)")]
    public void A_miss_says_so_and_a_request_the_policy_left_out_says_there_was_no_lookup(string level, string shown)
    {
        var cut = RenderTrace(level);

        Assert.Equal(shown, cut.Find("[data-testid='trace-cache']").TextContent.Trim());
        Assert.Empty(cut.FindAll("[data-testid='trace-cache-entry']"));
    }
}
