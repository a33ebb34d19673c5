using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Metrics;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Metrics;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Catalogue;

public class PromptCachePricingTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<string> AskAsync(string systemPrompt, string question)
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync(
            "/v1/chat/completions",
            new { model = "small", messages = new[] { new { role = "system", content = systemPrompt }, new { role = "user", content = question } } },
            Ct);
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("x-costconsole-request-id").Single();
    }

    private async Task<RequestLogRow> RowAsync(string requestId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            if ((await factory.LedgerAsync()).SingleOrDefault(r => r.RequestId == requestId) is { } row)
            {
                return row;
            }

            Assert.True(DateTime.UtcNow < deadline, $"Request {requestId} never reached the ledger.");
            await Task.Delay(50, Ct);
        }
    }

    [Fact]
    public async Task A_repeated_long_system_prompt_is_recorded_as_cached_and_billed_at_the_cached_price()
    {
        var catalogue = factory.Services.GetRequiredService<CatalogueService>();
        var nano = (await catalogue.ModelsAsync(Ct)).Single(m => m.ModelId == "gpt-4.1-nano");
        var priced = await catalogue.AddPriceAsync(
            new PriceForm { ModelId = nano.Id, InputPerMillion = 2.00m, CachedInputPerMillion = 0.50m, OutputPerMillion = 8.00m, Note = "cache test" }, "test", Ct);
        Assert.True(priced.Saved);

        // A system prompt of well over 1,024 tokens, new to this run so its first use cannot be a cache hit.
        var systemPrompt = $"Ticket desk {Guid.NewGuid():N}. " + string.Join(" ", Enumerable.Repeat("Always greet the customer by name and quote the ticket number.", 120));
        var systemTokens = O200kTokenCounter.Instance.CountTokens(systemPrompt);

        var first = await RowAsync(await AskAsync(systemPrompt, "What are your opening hours?"));
        // No billing words: the simulator's small model slips on billing totals now and then, and the answer check would
        // then send the request a tier up, to a model whose prompt cache is cold.
        var second = await RowAsync(await AskAsync(systemPrompt, "Where is my parcel?"));

        Assert.Equal(("simulator/gpt-4.1-nano", "simulator/gpt-4.1-nano"), (first.Model, second.Model));
        Assert.Equal((0L, (long)systemTokens), (first.CachedTokens, second.CachedTokens));
        Assert.Equal(0L, second.CacheWriteTokens);
        Assert.Equal(Money.ToNanoUsd((first.PromptTokens * 2.00m + first.CompletionTokens * 8.00m) / 1_000_000m), first.CostNanoUsd);

        // Uncached prompt tokens at $2/M, the cached system prompt at $0.50/M, completion at $8/M.
        var expected = Money.ToNanoUsd(((second.PromptTokens - systemTokens) * 2.00m + systemTokens * 0.50m + second.CompletionTokens * 8.00m) / 1_000_000m);
        var uncached = Money.ToNanoUsd((second.PromptTokens * 2.00m + second.CompletionTokens * 8.00m) / 1_000_000m);
        Assert.Equal(expected, second.CostNanoUsd);
        Assert.Equal(Money.ToNanoUsd(systemTokens * 1.50m / 1_000_000m), uncached - second.CostNanoUsd);
    }

    [Fact]
    public async Task The_dashboard_shows_the_share_of_input_tokens_read_from_provider_caches()
    {
        var systemPrompt = $"Returns desk {Guid.NewGuid():N}. " + string.Join(" ", Enumerable.Repeat("Check the parcel's tracking number and the delivery date before offering help.", 120));
        await RowAsync(await AskAsync(systemPrompt, "Can I return shoes?"));
        var second = await RowAsync(await AskAsync(systemPrompt, "How long does delivery take?"));
        Assert.True(second.CachedTokens > 0);
        await factory.Services.GetRequiredService<RollupStore>().FlushAsync();
        var now = DateTimeOffset.UtcNow.AddMinutes(1);
        var range = MetricsRange.Create(RangeKind.Day, now);

        var headlines = await factory.Services.GetRequiredService<MetricsHistory>().HeadlinesAsync(range, MetricsFilter.None, now, Ct);

        var rows = (await factory.LedgerAsync()).Where(r => r.Timestamp >= range.From).ToList();
        Assert.Equal(rows.Sum(r => r.CachedTokens), headlines.Range.CachedTokens);
        Assert.Equal(rows.Sum(r => r.PromptTokens), headlines.Range.PromptTokens);
        Assert.Equal((double)rows.Sum(r => r.CachedTokens) / rows.Sum(r => r.PromptTokens), headlines.Range.CacheReadShare);
    }
}
