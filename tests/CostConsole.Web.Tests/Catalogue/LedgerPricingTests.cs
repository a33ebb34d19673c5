using System.Net.Http.Json;
using CostConsole.Data;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Catalogue;

public class LedgerPricingTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private async Task<string> AskAsync()
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync(
            "/v1/chat/completions",
            new { model = "small", messages = new[] { new { role = "user", content = "What are your opening hours?" } } },
            TestContext.Current.CancellationToken);
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("x-costconsole-request-id").Single();
    }

    [Fact]
    public async Task Requests_are_priced_at_the_version_in_force_at_their_time_and_keep_that_price()
    {
        var catalogue = factory.Services.GetRequiredService<CatalogueService>();
        var nano = (await catalogue.ModelsAsync(TestContext.Current.CancellationToken)).Single(m => m.ModelId == "gpt-4.1-nano");

        var before = await AskAsync();
        var change = await catalogue.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = 1.00m, OutputPerMillion = 4.00m, Note = "ten times" }, "test", TestContext.Current.CancellationToken);
        var after = await AskAsync();

        Assert.True(change.Saved);
        var rows = await factory.LedgerAsync();
        var first = rows.Single(r => r.RequestId == before);
        var second = rows.Single(r => r.RequestId == after);
        Assert.Equal(Money.ToNanoUsd((first.PromptTokens * 0.10m + first.CompletionTokens * 0.40m) / 1_000_000m), first.CostNanoUsd);
        Assert.Equal(Money.ToNanoUsd((second.PromptTokens * 1.00m + second.CompletionTokens * 4.00m) / 1_000_000m), second.CostNanoUsd);
    }
}
