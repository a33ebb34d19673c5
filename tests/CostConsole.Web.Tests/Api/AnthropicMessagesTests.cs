using System.Net;
using System.Text;
using System.Text.Json;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary><c>/v1/messages</c>: Anthropic clients get routed, recorded answers in Anthropic's own format.</summary>
public sealed class AnthropicMessagesTests(SmallBodyFactory factory) : IClassFixture<SmallBodyFactory>, IDisposable
{
    private readonly HttpClient _client = factory.CreateApiClient(null);

    private const string Faq = "Where is my order? What is the tracking number?";

    private static readonly string Hello = Body(Faq);

    private static string Body(string question, string extra = "") =>
        $$"""{"model":"auto","max_tokens":256{{extra}},"messages":[{"role":"user","content":{{JsonSerializer.Serialize(question)}}}]}""";

    /// <summary>A request as the Anthropic SDK sends it: the key in <c>x-api-key</c> and an <c>anthropic-version</c>.</summary>
    private async Task<HttpResponseMessage> SendAsync(string json, string path = "/v1/messages", string? key = CostConsoleFactory.ApiKey, bool version = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Add("x-api-key", key);
        }

        if (version)
        {
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        return await _client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();

    private static string RequestId(HttpResponseMessage response) => response.Headers.GetValues("x-costconsole-request-id").Single();

    /// <summary>The events of a Messages stream: each <c>event:</c> name with its parsed <c>data:</c>.</summary>
    private static List<(string Name, JsonElement Data)> Events(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (lines[0]["event: ".Length..], JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone()))
            .ToList();

    [Fact]
    public async Task A_message_is_routed_answered_in_anthropics_format_and_recorded_as_messages()
    {
        using var response = await SendAsync(Body(Faq, ""","system":"You are a support agent.","metadata":{"user_id":"u-1"}"""));
        var message = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("small", response.Headers.GetValues("x-costconsole-tier").Single());
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.StartsWith("msg_", message.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("gpt-4.1-nano", message.GetProperty("model").GetString());
        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
        var block = message.GetProperty("content").EnumerateArray().Single();
        Assert.Equal("text", block.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(block.GetProperty("text").GetString()));
        Assert.False(response.Headers.Contains("x-costconsole-warning"));

        var usage = message.GetProperty("usage");
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == RequestId(response));
        Assert.Equal("messages", row.Protocol);
        Assert.Equal(0, row.Status);
        Assert.Equal("small", row.Tier);
        Assert.Equal(usage.GetProperty("input_tokens").GetInt64(), row.PromptTokens);
        Assert.Equal(usage.GetProperty("output_tokens").GetInt64(), row.CompletionTokens);
        Assert.True(row.CostNanoUsd > 0);
        Assert.Contains(Faq, row.Prompt, StringComparison.Ordinal);
        Assert.Contains("You are a support agent.", row.Prompt, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tier_as_the_model_pins_the_tier_and_an_authorization_bearer_key_works_too()
    {
        using var client = factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(Hello.Replace("\"auto\"", "\"large\"", StringComparison.Ordinal), Encoding.UTF8, "application/json") };
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1", (await JsonAsync(response)).GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_key_created_in_the_console_calls_messages_with_x_api_key()
    {
        var (result, key) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = "claude-app", Team = "support" }, "alice", TestContext.Current.CancellationToken);
        Assert.True(result.Saved, result.Summary);

        using var response = await SendAsync(Hello, key: key!.Secret);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(key.Id, (await factory.LedgerAsync()).Single(r => r.RequestId == RequestId(response)).ApiKeyId);
    }

    [Fact]
    public async Task A_streamed_message_sends_anthropics_events_in_order_and_is_recorded()
    {
        using var response = await SendAsync(Body(Faq, ""","stream":true"""));
        var events = Events(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("small", response.Headers.GetValues("x-costconsole-tier").Single());
        var names = events.Select(e => e.Name).ToList();
        Assert.Equal("message_start", names[0]);
        Assert.Equal("content_block_start", names[1]);
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], names[^3..]);
        Assert.All(names[2..^3], name => Assert.Equal("content_block_delta", name));
        Assert.All(events, e => Assert.Equal(e.Name, e.Data.GetProperty("type").GetString()));
        var text = string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()));
        Assert.True(text.Length > 20);

        var delta = events[^2].Data;
        Assert.Equal("end_turn", delta.GetProperty("delta").GetProperty("stop_reason").GetString());
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == RequestId(response));
        Assert.Equal(("messages", true, 0), (row.Protocol, row.Stream, row.Status));
        Assert.Equal(row.CompletionTokens, delta.GetProperty("usage").GetProperty("output_tokens").GetInt64());
        Assert.Equal(row.PromptTokens, events[0].Data.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64());
    }

    [Fact]
    public async Task A_forced_tool_call_comes_back_as_a_tool_use_block_and_its_result_is_answered()
    {
        const string Tools = ""","tools":[{"name":"get_weather","description":"Get the weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]""";
        using var first = await SendAsync(Body("What is the weather in Paris?", Tools + ""","tool_choice":{"type":"any"}"""));
        var message = await JsonAsync(first);

        Assert.Equal("tool_use", message.GetProperty("stop_reason").GetString());
        var use = message.GetProperty("content").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "tool_use");
        Assert.Equal("get_weather", use.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.String, use.GetProperty("input").GetProperty("city").ValueKind);

        var followUp = $$"""
            {"model":"auto","max_tokens":256{{Tools}},"messages":[
              {"role":"user","content":"What is the weather in Paris?"},
              {"role":"assistant","content":{{message.GetProperty("content").GetRawText()}}},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":{{JsonSerializer.Serialize(use.GetProperty("id").GetString())}},"content":"Sunny, 21 degrees"}]}]}
            """;
        using var second = await SendAsync(followUp);
        var answer = await JsonAsync(second);

        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("end_turn", answer.GetProperty("stop_reason").GetString());
        Assert.Contains("Sunny, 21 degrees", answer.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Count_tokens_gives_the_input_tokens_an_answer_is_billed_for_without_a_call_or_a_ledger_row()
    {
        var before = (await factory.LedgerAsync()).Count;
        using var counted = await SendAsync("""{"model":"auto","system":"Be brief.","messages":[{"role":"user","content":"Where is my order?"}]}""", "/v1/messages/count_tokens");
        var count = await JsonAsync(counted);
        var after = (await factory.LedgerAsync()).Count;
        using var answered = await SendAsync("""{"model":"auto","max_tokens":64,"system":"Be brief.","messages":[{"role":"user","content":"Where is my order?"}]}""");

        Assert.Equal(HttpStatusCode.OK, counted.StatusCode);
        Assert.Equal(before, after);
        Assert.True(count.GetProperty("input_tokens").GetInt64() > 0);
        Assert.Equal((await JsonAsync(answered)).GetProperty("usage").GetProperty("input_tokens").GetInt64(), count.GetProperty("input_tokens").GetInt64());
    }

    [Fact]
    public async Task Fields_the_routed_models_cannot_honour_are_named_in_a_warning_header()
    {
        using var response = await SendAsync(Body(Faq, ""","top_k":5,"thinking":{"type":"enabled","budget_tokens":1024}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Ignored fields the routed models cannot honour: thinking, top_k.", response.Headers.GetValues("x-costconsole-warning").Single());
    }

    public static TheoryData<string, string?, bool, int, string, string> Refusals() => new()
    {
        { Hello, "not-a-key", true, 401, "authentication_error", "API key" },
        { Hello, CostConsoleFactory.ApiKey, false, 400, "invalid_request_error", "anthropic-version" },
        { """{"model":"auto","messages":[{"role":"user","content":"hi"}]}""", CostConsoleFactory.ApiKey, true, 400, "invalid_request_error", "'max_tokens' is required" },
        { """{"model":"auto","max_tokens":10,"messages":[""", CostConsoleFactory.ApiKey, true, 400, "invalid_request_error", "not valid JSON" },
        { """{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}}]}]}""", CostConsoleFactory.ApiKey, true, 400, "invalid_request_error", "'image' block" },
        { """{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_missing","content":"x"}]}]}""", CostConsoleFactory.ApiKey, true, 400, "invalid_request_error", "toolu_missing" },
        { Hello.Replace("\"auto\"", "\"claude-sonnet-4-5\"", StringComparison.Ordinal), CostConsoleFactory.ApiKey, true, 404, "not_found_error", "claude-sonnet-4-5" },
        { Body(new string('x', 70_000)), CostConsoleFactory.ApiKey, true, 413, "request_too_large", "65,536 bytes" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refused_request_gets_anthropics_error_shape_and_one_ledger_row(string json, string? key, bool version, int status, string type, string message)
    {
        using var response = await SendAsync(json, key: key, version: version);
        var error = await JsonAsync(response);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal(type, error.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains(message, error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == RequestId(response));
        Assert.Equal(("messages", status), (row.Protocol, row.HttpStatus));
    }

    [Fact]
    public async Task A_body_that_is_not_utf8_is_refused_in_anthropics_shape()
    {
        var bytes = Encoding.UTF8.GetBytes(Body("caf?"));
        bytes[Array.IndexOf(bytes, (byte)'?')] = 0xE9;
        using var client = factory.CreateApiClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add("x-api-key", CostConsoleFactory.ApiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");

        using var response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        var error = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("UTF-8", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_without_the_inference_scope_gets_a_permission_error_and_count_tokens_refuses_a_bad_key()
    {
        var (result, key) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(
            new KeyForm { Name = "spend-report", Team = "finance", Inference = false, Reporting = true }, "alice", TestContext.Current.CancellationToken);
        Assert.True(result.Saved, result.Summary);

        using var scoped = await SendAsync(Hello, key: key!.Secret);
        using var counted = await SendAsync("""{"model":"auto","messages":[{"role":"user","content":"hi"}]}""", "/v1/messages/count_tokens", key: "not-a-key");

        Assert.Equal(HttpStatusCode.Forbidden, scoped.StatusCode);
        Assert.Equal("permission_error", (await JsonAsync(scoped)).GetProperty("error").GetProperty("type").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, counted.StatusCode);
        Assert.Equal("authentication_error", (await JsonAsync(counted)).GetProperty("error").GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_leaves_one_complete_failure_row_and_no_answer_row()
    {
        var latency = factory.Simulator.LatencyScale;
        factory.Simulator.LatencyScale = 10;
        try
        {
            // A raw connection, reset once the first text has arrived: the client is gone, whatever an HTTP client would drain.
            // The top tier streams as it comes (an answer that may still be escalated is held back until it passes its gates).
            var body = Encoding.UTF8.GetBytes(Body(Faq, ""","stream":true""").Replace("\"auto\"", "\"large\"", StringComparison.Ordinal));
            var head = $"POST /v1/messages HTTP/1.1\r\nHost: {factory.BaseAddress.Authority}\r\nx-api-key: {CostConsoleFactory.ApiKey}\r\n"
                + $"anthropic-version: 2023-06-01\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
            string requestId;
            using (var socket = new System.Net.Sockets.TcpClient())
            {
                await socket.ConnectAsync(factory.BaseAddress.Host, factory.BaseAddress.Port, TestContext.Current.CancellationToken);
                var stream = socket.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray(), TestContext.Current.CancellationToken);
                var received = new StringBuilder();
                var buffer = new byte[4096];
                while (!received.ToString().Contains("event: content_block_delta", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken);
                    Assert.True(read > 0, $"The stream ended before any text: {received}");
                    received.Append(Encoding.UTF8.GetString(buffer, 0, read));
                }

                requestId = System.Text.RegularExpressions.Regex.Match(received.ToString(), "x-costconsole-request-id: (\\S+)", System.Text.RegularExpressions.RegexOptions.IgnoreCase).Groups[1].Value;
                socket.Client.LingerState = new System.Net.Sockets.LingerOption(true, 0);
            }

            var deadline = DateTime.UtcNow.AddSeconds(30);
            List<CostConsole.Data.Entities.RequestLogRow> rows;
            while ((rows = (await factory.LedgerAsync()).Where(r => r.RequestId == requestId).ToList()).Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            var row = Assert.Single(rows);
            Assert.Equal(("messages", 499, "client_closed"), (row.Protocol, row.HttpStatus, row.ErrorCode));
        }
        finally
        {
            factory.Simulator.LatencyScale = latency;
        }
    }

    [Fact]
    public async Task A_stream_cut_mid_way_ends_with_an_anthropic_error_event_and_is_recorded_as_failed()
    {
        var profile = factory.Simulator.Find("gpt-4.1-nano")!;
        factory.Simulator.Update(profile with { StreamCutRate = 1 });
        try
        {
            // Pinned to one model, nothing is held back: the client has events when the cut comes.
            using var response = await SendAsync(Body(Faq, ""","stream":true""").Replace("\"auto\"", "\"simulator/gpt-4.1-nano\"", StringComparison.Ordinal));
            var events = Events(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

            Assert.Equal("message_start", events[0].Name);
            Assert.Equal("error", events[^1].Name);
            Assert.Equal("api_error", events[^1].Data.GetProperty("error").GetProperty("type").GetString());
            Assert.Contains("broke off mid-way", events[^1].Data.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.DoesNotContain(events, e => e.Name == "message_stop");
            var row = (await factory.LedgerAsync()).Single(r => r.RequestId == RequestId(response));
            Assert.Equal(("messages", 1, 502), (row.Protocol, row.Status, row.HttpStatus));
        }
        finally
        {
            factory.Simulator.Update(profile);
            factory.Services.GetRequiredService<CostConsole.Routing.Providers.DeploymentResilience>().Reset();
        }
    }

    public void Dispose() => _client.Dispose();
}
