using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Routing;

public sealed class ConversationAffinityApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private const string ConversationHeader = "x-costconsole-conversation";
    private const string Faq = "Where is my order? What is the tracking number?";
    private const string Analysis = "Analyze last quarter's churn by customer segment, compare it with the previous year and recommend a retention strategy step by step.";

    [Fact]
    public async Task Explain_says_when_affinity_would_keep_the_conversation_on_its_model()
    {
        using var client = factory.CreateApiClient();
        var conversation = "conv-" + Guid.NewGuid().ToString("N");
        using (var first = await PostAsync(client, "/v1/chat/completions", "auto", Faq, conversation))
        {
            Assert.Equal("small", first.Headers.GetValues("x-costconsole-tier").Single());
        }

        using var kept = await ExplainAsync(client, Analysis, conversation);
        using var fresh = await ExplainAsync(client, Analysis, null);

        var root = kept.RootElement;
        Assert.Equal("gpt-4.1-nano", root.GetProperty("model").GetString());
        Assert.True(root.GetProperty("affinity").GetProperty("decided").GetBoolean());
        Assert.Contains(root.GetProperty("notes").EnumerateArray(), n => n.GetString()!.StartsWith("conversation affinity: kept on", StringComparison.Ordinal));
        Assert.Equal("gpt-4.1", fresh.RootElement.GetProperty("model").GetString());
        Assert.Equal(JsonValueKind.Null, fresh.RootElement.GetProperty("affinity").ValueKind);
    }

    [Fact]
    public async Task A_long_conversation_moved_by_a_named_tier_records_its_cold_cache_cost_in_the_ledger()
    {
        using var client = factory.CreateApiClient();
        var conversation = "conv-" + Guid.NewGuid().ToString("N");
        var longQuestion = string.Join(' ', Enumerable.Repeat("Our returns policy allows thirty days for unopened items and fourteen for opened ones.", 120)) + " " + Faq;

        (await PostAsync(client, "/v1/chat/completions", "small", longQuestion, conversation)).Dispose();
        (await PostAsync(client, "/v1/chat/completions", "large", longQuestion, conversation)).Dispose();

        var rows = (await factory.LedgerAsync()).Where(r => r.ConversationId == conversation).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Contains("conversation affinity: moved off", rows[1].Decision, StringComparison.Ordinal);
        Assert.Contains("because the request names tier 'large'", rows[1].Decision, StringComparison.Ordinal);

        // The small model's cache likely held the first turn's prompt: those tokens at its input less its cached-input price.
        var price = factory.Services.GetRequiredService<RoutingState>().Current.Prices.PriceAt(rows[0].Model!, rows[0].Timestamp)!;
        var lost = Math.Min(rows[0].PromptTokens, rows[1].PromptTokens) - rows[1].CachedTokens;
        Assert.True(lost >= 1024, $"the conversation's prefix should be long enough to be cached, was {lost} tokens");
        Assert.Equal(Money.ToNanoUsd(lost * (price.InputPerMillion - price.CachedInputPerMillion!.Value) / 1_000_000m), rows[1].ColdCacheCostNanoUsd);
        Assert.True(rows[1].ColdCacheCostNanoUsd > 0);
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string path, string model, string text, string? conversation)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { model, messages = new[] { new { role = "user", content = text } } }) };
        if (conversation is not null)
        {
            message.Headers.Add(ConversationHeader, conversation);
        }

        return client.SendAsync(message, TestContext.Current.CancellationToken);
    }

    private static async Task<JsonDocument> ExplainAsync(HttpClient client, string text, string? conversation)
    {
        using var response = await PostAsync(client, "/api/route/explain", "auto", text, conversation);
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }
}
