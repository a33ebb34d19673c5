using System.Net;
using System.Net.Http.Json;
using CostConsole.Routing.Caching;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Caching;

/// <summary>An embeddings model that cannot run makes the semantic level miss, counted; the request and the exact level go on.</summary>
public sealed class CacheFaultTests(CacheWithoutEmbeddingsFactory factory) : IClassFixture<CacheWithoutEmbeddingsFactory>
{
    private async Task<HttpResponseMessage> AskAsync(string prompt)
    {
        using var client = factory.CreateApiClient();
        var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }, TestContext.Current.CancellationToken);
        await response.Content.LoadIntoBufferAsync(TestContext.Current.CancellationToken);
        return response;
    }

    [Fact]
    public async Task Without_embeddings_a_paraphrase_is_a_counted_miss_answered_by_a_model_and_a_repeat_is_still_an_exact_hit()
    {
        var first = await AskAsync("How do I merge two duplicate contacts?");
        var paraphrase = await AskAsync("How can I merge two duplicate contacts?");
        var repeat = await AskAsync("How do I merge two duplicate contacts?");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK], new[] { first.StatusCode, paraphrase.StatusCode, repeat.StatusCode });
        Assert.Equal("miss", paraphrase.Headers.GetValues("x-costconsole-cache").Single());
        Assert.Equal("exact", repeat.Headers.GetValues("x-costconsole-cache").Single());
        Assert.True(factory.Services.GetRequiredService<ResponseCache>().Counters.EmbeddingFailures >= 2);
    }
}
