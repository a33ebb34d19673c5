using System.Net;
using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Web.Caching;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Caching;

public sealed class CacheHitTotalsTests(CacheFactory factory) : IClassFixture<CacheFactory>
{
    [Fact]
    public async Task A_burst_of_hits_on_one_answer_is_stored_with_every_hit_counted_and_every_saving_added()
    {
        var ct = TestContext.Current.CancellationToken;
        const string prompt = "Where do I change the currency my invoices are shown in?";
        using var client = factory.CreateApiClient();
        async Task<string> AskAsync()
        {
            using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return response.Headers.GetValues("x-costconsole-cache").Single();
        }

        Assert.Equal("miss", await AskAsync());
        var store = factory.Services.GetRequiredService<CacheEntryStore>();
        await store.FlushAsync();

        // Many hits at once queue many updates of the same entry for the store's next write.
        var levels = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => AskAsync()));
        Assert.All(levels, level => Assert.Equal("exact", level));
        await store.FlushAsync();

        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct);
        var entry = await db.CacheEntries.AsNoTracking().SingleAsync(e => e.Prompt == prompt, ct);
        var hitRows = await db.RequestLog.AsNoTracking().Where(r => r.CacheEntryId == entry.Id).ToListAsync(ct);
        Assert.Equal(40, hitRows.Count);
        Assert.Equal(40, entry.Hits);
        Assert.Equal(hitRows.Sum(r => r.CacheAvoidedCostNanoUsd), entry.SavedNanoUsd);
    }
}
