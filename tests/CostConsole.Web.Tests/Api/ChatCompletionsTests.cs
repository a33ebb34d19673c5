using System.ClientModel;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Web.Tests.Infrastructure;
using OpenAI;
using OpenAI.Chat;

namespace CostConsole.Web.Tests.Api;

public class ChatCompletionsTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private const string Faq = "Where is my order? What is the tracking number?";
    private const string Analysis = "Analyze last quarter's churn by customer segment, compare it with the previous year and recommend a retention strategy step by step.";

    private ChatClient Client(string model = "auto") =>
        new(model, new ApiKeyCredential(CostConsoleFactory.ApiKey), new OpenAIClientOptions { Endpoint = new Uri(factory.BaseAddress, "/v1") });

    [Fact]
    public async Task The_official_client_with_auto_sends_a_faq_to_the_small_tier()
    {
        var result = await Client().CompleteChatAsync([new UserChatMessage(Faq)], cancellationToken: TestContext.Current.CancellationToken);

        var response = result.GetRawResponse();
        Assert.Equal("small", response.Headers.GetFirstOrDefault("x-costconsole-tier"));
        Assert.Equal("faq-and-status", response.Headers.GetFirstOrDefault("x-costconsole-rule"));
        Assert.Equal("gpt-4.1-nano", result.Value.Model);
        Assert.False(string.IsNullOrWhiteSpace(result.Value.Content[0].Text));
        Assert.True(result.Value.Usage.InputTokenCount > 0);
        Assert.True(decimal.Parse(response.Headers.GetFirstOrDefault("x-costconsole-cost-usd")!, System.Globalization.CultureInfo.InvariantCulture) > 0m);
    }

    [Fact]
    public async Task The_requests_user_field_is_recorded_as_its_end_user()
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", user = "customer-0815", messages = new[] { new { role = "user", content = Faq } } }, TestContext.Current.CancellationToken);

        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();
        Assert.Equal("customer-0815", (await factory.LedgerAsync()).Single(r => r.RequestId == requestId).EndUser);
    }

    [Fact]
    public async Task The_official_client_with_auto_sends_an_analysis_to_the_large_tier()
    {
        var result = await Client().CompleteChatAsync([new UserChatMessage(Analysis)], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("large", result.GetRawResponse().Headers.GetFirstOrDefault("x-costconsole-tier"));
        Assert.Equal("gpt-4.1", result.Value.Model);
    }

    [Fact]
    public async Task Streaming_delivers_the_answer_and_usage_in_the_last_chunk()
    {
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in Client().CompleteChatStreamingAsync([new UserChatMessage(Faq)], cancellationToken: TestContext.Current.CancellationToken))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            usage ??= update.Usage;
        }

        Assert.True(text.Length > 20);
        Assert.NotNull(usage);
        Assert.True(usage.OutputTokenCount > 0);
    }

    [Fact]
    public async Task A_raw_stream_ends_with_done_and_carries_the_routing_headers()
    {
        using var client = factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "auto", stream = true, messages = new[] { new { role = "user", content = Faq } } }),
        };

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("small", response.Headers.GetValues("x-costconsole-tier").Single());
        Assert.EndsWith("data: [DONE]\n\n", body, StringComparison.Ordinal);
        // The client did not ask for usage, so the usage-only chunk the router requested is not passed on.
        Assert.DoesNotContain("\"choices\":[]", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tier_name_pins_the_tier_and_a_catalogue_model_passes_through_priced()
    {
        var pinnedTier = await Client("large").CompleteChatAsync([new UserChatMessage(Faq)], cancellationToken: TestContext.Current.CancellationToken);
        var pinnedModel = await Client("gpt-4.1-mini").CompleteChatAsync([new UserChatMessage(Faq)], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal("gpt-4.1", pinnedTier.Value.Model);
        Assert.Equal("gpt-4.1-mini", pinnedModel.Value.Model);
        var ledger = await factory.LedgerAsync();
        var row = ledger.Single(r => r.RequestId == pinnedModel.GetRawResponse().Headers.GetFirstOrDefault("x-costconsole-request-id"));
        Assert.Equal("simulator/gpt-4.1-mini", row.Model);
        Assert.True(row.CostNanoUsd > 0);
    }

    [Fact]
    public async Task Every_answered_request_is_in_the_ledger_with_tokens_cost_and_baseline()
    {
        var result = await Client().CompleteChatAsync([new UserChatMessage(Faq)], cancellationToken: TestContext.Current.CancellationToken);
        var requestId = result.GetRawResponse().Headers.GetFirstOrDefault("x-costconsole-request-id");

        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);

        Assert.Equal(0, row.Status);
        Assert.Equal("small", row.Tier);
        Assert.Equal(result.Value.Usage.InputTokenCount, row.PromptTokens);
        Assert.Equal(result.Value.Usage.OutputTokenCount, row.CompletionTokens);
        Assert.True(row.CostNanoUsd > 0);
        // The baseline (gpt-4.1) costs 20× nano for the same tokens.
        Assert.Equal(row.CostNanoUsd * 20, row.BaselineCostNanoUsd, tolerance: 20);
        Assert.Contains("faq-and-status", row.Decision, StringComparison.Ordinal);
        Assert.Contains(Faq, row.Prompt, StringComparison.Ordinal);
        Assert.Equal(64, row.PromptHash!.Length);
        Assert.True(row.LatencyMs > 0);
    }

    [Fact]
    public async Task Models_lists_auto_the_tiers_and_the_catalogue()
    {
        using var client = factory.CreateApiClient();

        using var models = JsonDocument.Parse(await client.GetStringAsync("/v1/models", TestContext.Current.CancellationToken));

        var ids = models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Equal(["auto", "small", "medium", "large", "gpt-4.1-nano", "gpt-4.1-mini", "gpt-4.1", "text-embedding-3-small"], ids);
    }

    [Fact]
    public async Task Explain_returns_the_decision_and_its_trace_without_calling_a_model()
    {
        using var client = factory.CreateApiClient();
        var before = (await factory.LedgerAsync()).Count;

        using var response = await client.PostAsJsonAsync("/api/route/explain", new { model = "auto", messages = new[] { new { role = "user", content = Analysis } } }, TestContext.Current.CancellationToken);
        using var trace = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        var root = trace.RootElement;
        Assert.Equal("large", root.GetProperty("tier").GetString());
        Assert.Equal("analysis", root.GetProperty("rule").GetString());
        Assert.Equal("rule", root.GetProperty("source").GetString());
        Assert.StartsWith("rule #1 'analysis' matched", root.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("gpt-4.1", root.GetProperty("candidates")[0].GetProperty("model").GetString());
        Assert.True(root.GetProperty("prompt_tokens").GetInt64() > 20);
        Assert.Equal(before, (await factory.LedgerAsync()).Count);
    }
}

internal static class PipelineHeaderExtensions
{
    public static string? GetFirstOrDefault(this System.ClientModel.Primitives.PipelineResponseHeaders headers, string name) =>
        headers.TryGetValue(name, out var value) ? value : null;
}
