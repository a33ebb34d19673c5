using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>The embedded simulator's provider marked as speaking Anthropic Messages: the router calls it at <c>/sim/v1/messages</c>.</summary>
public sealed class AnthropicSimulatorFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
    ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
    ["CostConsole:Catalogue:Providers:0:Protocol"] = "anthropic",
});

/// <summary>
/// A provider that speaks Anthropic Messages, over real HTTP: the router reaches it through the official Anthropic client
/// whatever protocol the client spoke, and the ledger records the tokens the provider reported.
/// </summary>
public sealed class NativeAnthropicUpstreamTests(AnthropicSimulatorFactory factory) : IClassFixture<AnthropicSimulatorFactory>
{
    private const string Faq = "Where is my order? What is the tracking number?";

    private static readonly object[] WeatherTool =
    [
        new
        {
            type = "function",
            function = new
            {
                name = "get_weather",
                description = "The weather in a city",
                parameters = new { type = "object", properties = new { city = new { type = "string" } }, required = new[] { "city" } },
            },
        },
    ];

    private static string RequestId(HttpResponseMessage response) => response.Headers.GetValues("x-costconsole-request-id").Single();

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();

    private async Task<Data.Entities.RequestLogRow> LedgerRowAsync(HttpResponseMessage response)
    {
        var requestId = RequestId(response);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var row = (await factory.LedgerAsync()).SingleOrDefault(r => r.RequestId == requestId);
            if (row is not null || DateTime.UtcNow > deadline)
            {
                return row ?? throw new Xunit.Sdk.XunitException($"No ledger row for {requestId}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    [Fact]
    public void The_catalogue_marks_the_provider_as_speaking_anthropic_messages()
    {
        var provider = factory.Services.GetRequiredService<RoutingState>().Current.Providers.Single(p => p.Name == "simulator");

        Assert.Equal(ProviderProtocol.Anthropic, provider.Protocol);
    }

    [Fact]
    public async Task A_chat_completions_client_is_answered_through_the_messages_api_and_the_ledger_has_the_reported_tokens()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = Faq } } }, TestContext.Current.CancellationToken);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The simulator's Messages ids start msg_sim_: the answer came from its /v1/messages, translated back.
        Assert.StartsWith("msg_sim_", body.GetProperty("id").GetString());
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()));
        Assert.Equal("stop", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = body.GetProperty("usage");
        var row = await LedgerRowAsync(response);
        Assert.Equal((0, "simulator", "chat.completions"), (row.Status, row.Provider, row.Protocol));
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt64(), row.PromptTokens);
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt64(), row.CompletionTokens);
        Assert.True(row.PromptTokens > 0 && row.CompletionTokens > 0 && row.CostNanoUsd > 0 && row.Priced);
    }

    [Fact]
    public async Task A_streamed_chat_completion_arrives_as_chunks_with_usage_last()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "auto",
            stream = true,
            stream_options = new { include_usage = true },
            messages = new[] { new { role = "user", content = Faq } },
        }, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var chunks = text.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[6..]).RootElement.Clone()).ToList();
        Assert.EndsWith("data: [DONE]", text.TrimEnd());
        var content = string.Concat(chunks.Where(c => c.GetProperty("choices").GetArrayLength() > 0)
            .Select(c => c.GetProperty("choices")[0].GetProperty("delta"))
            .Select(d => d.TryGetProperty("content", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : ""));
        Assert.False(string.IsNullOrWhiteSpace(content));
        var usage = chunks[^1].GetProperty("usage");
        var row = await LedgerRowAsync(response);
        Assert.Equal((0, true), (row.Status, row.Stream));
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt64(), row.PromptTokens);
        Assert.Equal(usage.GetProperty("completion_tokens").GetInt64(), row.CompletionTokens);
        Assert.True(row.CompletionTokens > 0);
    }

    [Fact]
    public async Task A_forced_tool_call_comes_back_as_a_chat_tool_call_with_arguments_that_match_the_schema()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new
        {
            model = "auto",
            messages = new[] { new { role = "user", content = "What is the weather in Paris?" } },
            tools = WeatherTool,
            tool_choice = new { type = "function", function = new { name = "get_weather" } },
        }, TestContext.Current.CancellationToken);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = body.GetProperty("choices")[0];
        Assert.Equal("tool_calls", choice.GetProperty("finish_reason").GetString());
        var call = choice.GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        using var arguments = JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!);
        Assert.Equal(JsonValueKind.String, arguments.RootElement.GetProperty("city").ValueKind);
    }

    [Fact]
    public async Task A_responses_client_is_answered_through_the_messages_api()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "auto", input = Faq }, TestContext.Current.CancellationToken);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("completed", body.GetProperty("status").GetString());
        var text = body.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString();
        Assert.False(string.IsNullOrWhiteSpace(text));
        var row = await LedgerRowAsync(response);
        Assert.Equal((0, "responses"), (row.Status, row.Protocol));
        Assert.Equal(body.GetProperty("usage").GetProperty("input_tokens").GetInt64(), row.PromptTokens);
        Assert.Equal(body.GetProperty("usage").GetProperty("output_tokens").GetInt64(), row.CompletionTokens);
    }

    [Fact]
    public async Task A_messages_client_gets_a_streamed_tool_use_through_the_messages_api()
    {
        using var client = factory.CreateApiClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages")
        {
            Content = new StringContent("""
                {"model":"auto","max_tokens":256,"stream":true,
                 "messages":[{"role":"user","content":"What is the weather in Paris?"}],
                 "tools":[{"name":"get_weather","description":"The weather in a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
                 "tool_choice":{"type":"tool","name":"get_weather"}}
                """, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("x-api-key", CostConsoleFactory.ApiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries).Select(b => b.Split('\n')[0]["event: ".Length..]).ToList();
        Assert.Equal("message_start", events[0]);
        Assert.Equal(["message_delta", "message_stop"], events[^2..]);
        Assert.Contains("\"type\":\"tool_use\"", text, StringComparison.Ordinal);
        Assert.Contains("\"stop_reason\":\"tool_use\"", text, StringComparison.Ordinal);
        var row = await LedgerRowAsync(response);
        Assert.Equal((0, "messages", true), (row.Status, row.Protocol, row.Stream));
        Assert.True(row.CompletionTokens > 0);
    }
}
