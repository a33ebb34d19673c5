using System.Net;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Providers.Anthropic;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

/// <summary>A native Anthropic upstream: the router's request written as Messages, and Messages answers read back as chat completions.</summary>
public sealed class AnthropicUpstreamTests
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private static ChatRequest Parse(string json) => ChatRequestParser.Parse(Encoding.UTF8.GetBytes(json), null, O200kTokenCounter.Instance);

    private static JsonElement Messages(string chat, string model = "claude-haiku-4-5")
    {
        using var request = Parse(chat);
        return JsonDocument.Parse(AnthropicRequestBody.Create(request.Root, model)).RootElement.Clone();
    }

    [Fact]
    public void System_messages_become_the_system_prompt_and_a_tool_round_trip_becomes_tool_use_and_tool_result_blocks()
    {
        var body = Messages("""
            {"model":"auto","max_tokens":300,"temperature":1.6,"stop":"END","user":"u-7",
             "messages":[
               {"role":"system","content":"Be brief."},
               {"role":"developer","content":"Answer in English."},
               {"role":"user","content":"Weather in Paris and Rome?"},
               {"role":"assistant","content":null,"tool_calls":[
                 {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
                 {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},
               {"role":"tool","tool_call_id":"call_1","content":"18C"},
               {"role":"tool","tool_call_id":"call_2","content":"24C"}],
             "tools":[{"type":"function","function":{"name":"get_weather","description":"Weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
             "tool_choice":"required","parallel_tool_calls":false}
            """);

        Assert.Equal("claude-haiku-4-5", body.GetProperty("model").GetString());
        Assert.Equal(300, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(1.0, body.GetProperty("temperature").GetDouble());
        Assert.Equal("Be brief.\n\nAnswer in English.", body.GetProperty("system").GetString());
        Assert.Equal(["END"], body.GetProperty("stop_sequences").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal("u-7", body.GetProperty("metadata").GetProperty("user_id").GetString());
        var turns = body.GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["user", "assistant", "user"], turns.Select(t => t.GetProperty("role").GetString()));
        var uses = turns[1].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal([("tool_use", "call_1", "Paris"), ("tool_use", "call_2", "Rome")],
            uses.Select(u => (u.GetProperty("type").GetString(), u.GetProperty("id").GetString(), u.GetProperty("input").GetProperty("city").GetString())));
        // Both results go back in one user turn, as Messages requires.
        var results = turns[2].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal([("tool_result", "call_1", "18C"), ("tool_result", "call_2", "24C")],
            results.Select(r => (r.GetProperty("type").GetString(), r.GetProperty("tool_use_id").GetString(), r.GetProperty("content").GetString())));
        var tool = body.GetProperty("tools")[0];
        Assert.Equal(("get_weather", "Weather", "object"), (tool.GetProperty("name").GetString(), tool.GetProperty("description").GetString(), tool.GetProperty("input_schema").GetProperty("type").GetString()));
        Assert.Equal("any", body.GetProperty("tool_choice").GetProperty("type").GetString());
        Assert.True(body.GetProperty("tool_choice").GetProperty("disable_parallel_tool_use").GetBoolean());
    }

    [Fact]
    public void Max_tokens_is_always_set_a_named_tool_is_forced_and_a_json_schema_becomes_the_output_format()
    {
        var body = Messages("""
            {"model":"auto","messages":[{"role":"user","content":[{"type":"text","text":"Classify"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}],
             "tools":[{"type":"function","function":{"name":"lookup"}}],"tool_choice":{"type":"function","function":{"name":"lookup"}},
             "response_format":{"type":"json_schema","json_schema":{"name":"label","schema":{"type":"object","properties":{"label":{"type":"string"}}}}}}
            """);

        Assert.Equal(AnthropicRequestBody.DefaultMaxTokens, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(("tool", "lookup"), (body.GetProperty("tool_choice").GetProperty("type").GetString(), body.GetProperty("tool_choice").GetProperty("name").GetString()));
        Assert.Equal("object", body.GetProperty("tools")[0].GetProperty("input_schema").GetProperty("type").GetString());
        var format = body.GetProperty("output_config").GetProperty("format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.True(format.GetProperty("schema").GetProperty("properties").TryGetProperty("label", out _));
        var content = body.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal("text", content[0].GetProperty("type").GetString());
        var image = content[1].GetProperty("source");
        Assert.Equal(("base64", "image/png", "AAAA"), (image.GetProperty("type").GetString(), image.GetProperty("media_type").GetString(), image.GetProperty("data").GetString()));
    }

    [Fact]
    public void An_answer_with_text_and_tool_use_reads_back_as_one_chat_choice_with_cache_reads_and_writes_inside_prompt_tokens()
    {
        using var message = JsonDocument.Parse("""
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5",
             "content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],
             "stop_reason":"tool_use","stop_sequence":null,
             "usage":{"input_tokens":20,"output_tokens":15,"cache_read_input_tokens":100,"cache_creation_input_tokens":30}}
            """);

        var completion = AnthropicReply.ToChatCompletion(message.RootElement, 1_700_000_000);
        var facts = ResponseInspector.Inspect(completion);
        using var chat = JsonDocument.Parse(completion);

        var choice = chat.RootElement.GetProperty("choices")[0];
        Assert.Equal("Let me check.", choice.GetProperty("message").GetProperty("content").GetString());
        var call = choice.GetProperty("message").GetProperty("tool_calls")[0];
        Assert.Equal(("toolu_1", "get_weather", """{"city":"Paris"}"""),
            (call.GetProperty("id").GetString(), call.GetProperty("function").GetProperty("name").GetString(), call.GetProperty("function").GetProperty("arguments").GetString()));
        Assert.Equal("tool_calls", facts.FinishReason);
        Assert.Equal((150L, 100L, 30L, 15L), (facts.Usage.PromptTokens, facts.Usage.CachedPromptTokens, facts.Usage.CacheWriteTokens, facts.Usage.CompletionTokens));
    }

    [Theory]
    [InlineData("end_turn", "stop")]
    [InlineData("stop_sequence", "stop")]
    [InlineData("max_tokens", "length")]
    [InlineData("tool_use", "tool_calls")]
    [InlineData("refusal", "content_filter")]
    public void Stop_reasons_read_as_finish_reasons(string stopReason, string finishReason) =>
        Assert.Equal(finishReason, AnthropicReply.FinishReason(stopReason));

    [Fact]
    public void A_stream_of_messages_events_becomes_chat_chunks_in_order_with_usage_last()
    {
        var chunks = new AnthropicChunks(1_700_000_000);
        string[] events =
        [
            """{"type":"message_start","message":{"id":"msg_1","model":"claude-haiku-4-5","usage":{"input_tokens":12,"output_tokens":1,"cache_read_input_tokens":40,"cache_creation_input_tokens":0}}}""",
            """{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}""",
            """{"type":"ping"}""",
            """{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking"}}""",
            """{"type":"content_block_stop","index":0}""",
            """{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_9","name":"get_weather","input":{}}}""",
            """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}""",
            """{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Oslo\"}"}}""",
            """{"type":"content_block_stop","index":1}""",
            """{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":22}}""",
            """{"type":"message_stop"}""",
        ];

        var output = events.SelectMany(e =>
        {
            using var document = JsonDocument.Parse(e);
            return chunks.Translate(document.RootElement);
        }).Select(c => JsonDocument.Parse(c).RootElement.Clone()).ToList();

        Assert.Equal(7, output.Count);
        Assert.Equal("assistant", output[0].GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal("Checking", output[1].GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        var start = output[2].GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0];
        Assert.Equal((0, "toolu_9", "get_weather"), (start.GetProperty("index").GetInt32(), start.GetProperty("id").GetString(), start.GetProperty("function").GetProperty("name").GetString()));
        var arguments = string.Concat(output[3..5].Select(c => c.GetProperty("choices")[0].GetProperty("delta").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString()));
        Assert.Equal("""{"city":"Oslo"}""", arguments);
        Assert.Equal("tool_calls", output[5].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = ResponseInspector.Inspect(Encoding.UTF8.GetBytes(output[6].GetRawText())).Usage;
        Assert.Equal((52L, 40L, 22L), (usage.PromptTokens, usage.CachedPromptTokens, usage.CompletionTokens));
        Assert.All(output, c => Assert.Equal("msg_1", c.GetProperty("id").GetString()));
    }

    [Fact]
    public void An_error_event_cuts_the_stream()
    {
        var chunks = new AnthropicChunks(0);
        using var error = JsonDocument.Parse("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""");

        var ex = Assert.Throws<IOException>(() => chunks.Translate(error.RootElement));
        Assert.Contains("Overloaded", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(429, UpstreamFailure.RateLimited)]
    [InlineData(529, UpstreamFailure.ServerError)]
    [InlineData(500, UpstreamFailure.ServerError)]
    [InlineData(401, UpstreamFailure.Rejected)]
    [InlineData(400, UpstreamFailure.Rejected)]
    [InlineData(504, UpstreamFailure.Timeout)]
    public async Task Provider_errors_come_back_as_the_pipelines_failure_kinds_with_the_providers_message(int status, UpstreamFailure failure)
    {
        using var invoker = new AnthropicModelInvoker(new NoLocal(), new Answering((HttpStatusCode)status, """{"type":"error","error":{"type":"some_error","message":"Told by the provider."}}"""));
        using var request = Parse("""{"model":"auto","messages":[{"role":"user","content":"Hi"}]}""");

        var reply = await invoker.CompleteAsync(Target(), request, Cancel);
        await using var stream = await invoker.OpenStreamAsync(Target(), Parse("""{"model":"auto","stream":true,"messages":[{"role":"user","content":"Hi"}]}"""), Cancel);

        Assert.Equal((status, failure), (reply.Status, reply.Failure));
        Assert.Contains("Told by the provider.", reply.Error, StringComparison.Ordinal);
        Assert.Equal((status, failure), (stream.Failure!.Status, stream.Failure.Failure));
    }

    [Fact]
    public async Task A_provider_that_does_not_answer_in_time_is_a_timeout()
    {
        using var invoker = new AnthropicModelInvoker(new NoLocal(), new Hanging());
        using var request = Parse("""{"model":"auto","messages":[{"role":"user","content":"Hi"}]}""");

        var reply = await invoker.CompleteAsync(Target(TimeSpan.FromMilliseconds(200)), request, Cancel);

        Assert.Equal(UpstreamFailure.Timeout, reply.Failure);
    }

    [Fact]
    public async Task A_streamed_answer_is_read_through_the_anthropic_client_as_chat_chunks()
    {
        const string sse = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_s","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":3}}

            event: message_stop
            data: {"type":"message_stop"}


            """;
        var handler = new Answering(HttpStatusCode.OK, sse, "text/event-stream");
        using var invoker = new AnthropicModelInvoker(new NoLocal(), handler);

        await using var stream = await invoker.OpenStreamAsync(Target(), Parse("""{"model":"auto","stream":true,"messages":[{"role":"user","content":"Hi"}]}"""), Cancel);
        var chunks = new List<string>();
        await foreach (var chunk in stream.ReadAsync(Cancel))
        {
            chunks.Add(Encoding.UTF8.GetString(chunk.Span));
        }

        Assert.True(stream.IsOpen);
        Assert.Equal("https://api.anthropic.test/v1/messages", handler.LastUri?.ToString());
        Assert.Equal(("sk-ant-test", false), (handler.LastKey, handler.HadBearer));
        Assert.Contains("\"stream\":true", handler.LastBody, StringComparison.Ordinal);
        Assert.Equal(4, chunks.Count);
        Assert.Contains("\"content\":\"Hello\"", chunks[1], StringComparison.Ordinal);
        Assert.Contains("\"finish_reason\":\"stop\"", chunks[2], StringComparison.Ordinal);
        var usage = ResponseInspector.Inspect(Encoding.UTF8.GetBytes(chunks[3])).Usage;
        Assert.Equal((9L, 3L), (usage.PromptTokens, usage.CompletionTokens));
    }

    private static RoutedModel Target(TimeSpan? timeout = null) => new(
        new CatalogueModel("claude-haiku-4-5", "claude", "Claude Haiku", "small", null, ModelCapabilities.Tools),
        new ProviderEndpoint("claude", "https://api.anthropic.test/v1", "sk-ant-test", timeout ?? TimeSpan.FromSeconds(30)) { Protocol = ProviderProtocol.Anthropic },
        "small",
        0);

    private sealed class NoLocal : ILocalServerAddress
    {
        public Uri BaseAddress => new("http://127.0.0.1:1/");
    }

    private sealed class Answering(HttpStatusCode status, string body, string contentType = "application/json") : HttpMessageHandler
    {
        public Uri? LastUri { get; private set; }

        public string? LastKey { get; private set; }

        public string LastBody { get; private set; } = "";

        public bool HadBearer { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            LastUri = request.RequestUri;
            LastKey = request.Headers.TryGetValues("x-api-key", out var keys) ? keys.Single() : null;
            HadBearer = request.Headers.Authorization is not null;
            LastBody = request.Content is null ? "" : await request.Content.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, contentType) };
        }
    }

    private sealed class Hanging : HttpMessageHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            throw new InvalidOperationException("unreachable");
        }
    }
}
