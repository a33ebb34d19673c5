using System.Text;
using System.Text.Json;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Responses;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

public sealed class ResponsesTranslationTests
{
    private static ResponsesRequest Parse(string body) => ResponsesRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance);

    private static JsonElement Messages(ResponsesRequest request) => request.Chat.Root.GetProperty("messages");

    private static JsonDocument Json(byte[] data) => JsonDocument.Parse(data);

    [Fact]
    public void A_string_input_is_the_user_message_and_the_instructions_are_the_system_message()
    {
        using var request = Parse("""{"model":"small","input":"Where is my order?","instructions":"Be brief."}""");

        Assert.Equal("small", request.Chat.Model);
        Assert.Equal([new ChatTurn("system", "Be brief."), new ChatTurn("user", "Where is my order?")], request.Chat.Messages);
        Assert.Equal("Where is my order?", request.Chat.LastUserText);
        Assert.False(request.Stream);
        Assert.Empty(request.Ignored);
    }

    [Fact]
    public void Message_items_are_read_with_or_without_a_type_and_with_text_parts()
    {
        using var request = Parse("""
            {"input":[
              {"role":"developer","content":"Answer in French."},
              {"type":"message","role":"user","content":[{"type":"input_text","text":"Hello"},{"type":"input_text","text":"there"}]},
              {"type":"message","id":"msg_1","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Bonjour","annotations":[]}]},
              {"role":"user","content":"And my order?"}
            ]}
            """);

        Assert.Equal("auto", request.Chat.Model);
        Assert.Equal(["developer", "user", "assistant", "user"], request.Chat.Messages.Select(m => m.Role));
        Assert.Equal("Hello\nthere", request.Chat.Messages[1].Text);
        Assert.Equal("Bonjour", request.Chat.Messages[2].Text);
        Assert.Equal(2, request.Chat.UserTurns);
        Assert.Equal("And my order?", request.Chat.LastUserText);
    }

    [Fact]
    public void Function_calls_and_their_outputs_become_assistant_tool_calls_and_tool_messages()
    {
        using var request = Parse("""
            {"input":[
              {"role":"user","content":"Weather in Paris and Rome?"},
              {"type":"function_call","id":"fc_1","call_id":"call_a","name":"get_weather","arguments":"{\"location\":\"Paris\"}","status":"completed"},
              {"type":"function_call","id":"fc_2","call_id":"call_b","name":"get_weather","arguments":"{\"location\":\"Rome\"}"},
              {"type":"function_call_output","call_id":"call_a","output":"sunny"},
              {"type":"function_call_output","call_id":"call_b","output":[{"type":"input_text","text":"rain"}]}
            ],
            "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}]}
            """);

        var messages = Messages(request);
        Assert.Equal(["user", "assistant", "tool", "tool"], request.Chat.Messages.Select(m => m.Role));
        var calls = messages[1].GetProperty("tool_calls");
        Assert.Equal(2, calls.GetArrayLength());
        Assert.Equal("call_a", calls[0].GetProperty("id").GetString());
        Assert.Equal("get_weather", calls[1].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("{\"location\":\"Rome\"}", calls[1].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("call_b", messages[3].GetProperty("tool_call_id").GetString());
        Assert.Equal("rain", messages[3].GetProperty("content").GetString());
        Assert.True(request.Chat.HasTools);
    }

    [Fact]
    public void Tools_tool_choice_text_format_and_sampling_settings_map_to_their_chat_fields()
    {
        using var request = Parse("""
            {"input":"Open a ticket","stream":true,"max_output_tokens":300,"temperature":0.3,"top_p":0.9,"user":"u-42","metadata":{"team":"support"},
             "parallel_tool_calls":false,
             "tools":[{"type":"function","name":"create_ticket","description":"Open a ticket","parameters":{"type":"object"},"strict":true}],
             "tool_choice":{"type":"function","name":"create_ticket"},
             "text":{"format":{"type":"json_schema","name":"ticket","strict":true,"schema":{"type":"object","properties":{"id":{"type":"string"}}}}}}
            """);

        var root = request.Chat.Root;
        var function = root.GetProperty("tools")[0].GetProperty("function");
        Assert.Equal("create_ticket", function.GetProperty("name").GetString());
        Assert.True(function.GetProperty("strict").GetBoolean());
        Assert.Equal("create_ticket", root.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        Assert.False(root.GetProperty("parallel_tool_calls").GetBoolean());
        Assert.Equal("ticket", root.GetProperty("response_format").GetProperty("json_schema").GetProperty("name").GetString());
        Assert.Equal("""{"type":"object","properties":{"id":{"type":"string"}}}""", request.Chat.ResponseSchema);
        Assert.True(request.Chat.WantsJson);
        Assert.True(request.Chat.Stream);
        Assert.True(request.Chat.IncludeUsage);
        Assert.Equal(300, request.Chat.MaxTokens);
        Assert.Equal(0.3, root.GetProperty("temperature").GetDouble());
        Assert.Equal(0.9, root.GetProperty("top_p").GetDouble());
        Assert.Equal("u-42", request.Chat.User);
        Assert.Equal("support", request.Chat.Metadata["team"]);
    }

    [Fact]
    public void Without_tools_a_tool_choice_of_auto_or_none_is_left_out()
    {
        using var request = Parse("""{"input":"hi","tool_choice":"none","parallel_tool_calls":true}""");

        Assert.False(request.Chat.Root.TryGetProperty("tool_choice", out _));
        Assert.False(request.Chat.Root.TryGetProperty("parallel_tool_calls", out _));
        Assert.False(request.Chat.HasTools);
    }

    [Fact]
    public void Json_object_format_asks_for_json_without_a_schema()
    {
        using var request = Parse("""{"input":"Answer in JSON","text":{"format":{"type":"json_object"}}}""");

        Assert.True(request.Chat.WantsJson);
        Assert.Null(request.Chat.ResponseSchema);
    }

    [Fact]
    public void Fields_with_no_chat_equivalent_are_accepted_and_named_but_defaults_are_not()
    {
        using var named = Parse("""{"input":"hi","include":["reasoning.encrypted_content"],"reasoning":{"effort":"low"},"truncation":"auto","text":{"verbosity":"low"}}""");
        using var defaults = Parse("""{"input":"hi","include":[],"truncation":"disabled","store":false,"previous_response_id":null,"reasoning":{"effort":null}}""");

        Assert.Equal(["include", "reasoning", "truncation", "text.verbosity"], named.Ignored);
        Assert.Empty(defaults.Ignored);
    }

    [Theory]
    [InlineData("""{"input":"hi","previous_response_id":"resp_1"}""", "previous_response_not_supported", "previous_response_id")]
    [InlineData("""{"input":"hi","conversation":"conv_1"}""", "conversation_not_supported", "conversation")]
    [InlineData("""{"input":[{"type":"function_call_output","call_id":"call_x","output":"42"}]}""", "function_call_output_without_call", "input[0].call_id")]
    [InlineData("""{"input":[{"type":"web_search_call","id":"ws_1"}]}""", "unsupported_input_item", "input[0].type")]
    [InlineData("""{"input":[{"type":"item_reference","id":"msg_1"}]}""", "item_reference_not_supported", "input[0]")]
    [InlineData("""{"input":[{"role":"user","content":[{"type":"input_image","image_url":"https://x/y.png"}]}]}""", "unsupported_content_type", "input[0].content[0].type")]
    [InlineData("""{"input":[{"role":"tool","content":"x"}]}""", "invalid_input_item", "input[0].role")]
    [InlineData("""{"input":"hi","tools":[{"type":"web_search"}]}""", "unsupported_tool", "tools[0].type")]
    [InlineData("""{"input":"hi","tool_choice":"required"}""", "invalid_tool_choice", "tool_choice")]
    [InlineData("""{"input":"hi","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"file_search"}}""", "invalid_tool_choice", "tool_choice")]
    [InlineData("""{"input":"hi","text":{"format":{"type":"xml"}}}""", "invalid_text_format", "text.format.type")]
    [InlineData("""{"input":"hi","max_output_tokens":0}""", "invalid_max_output_tokens", "max_output_tokens")]
    [InlineData("""{"input":"hi","frequency":1}""", "unknown_parameter", "frequency")]
    [InlineData("""{"input":[]}""", "missing_input", "input")]
    [InlineData("""{"model":"auto"}""", "missing_input", "input")]
    [InlineData("""{"input":"hi""", "invalid_json", null)]
    public void A_request_that_cannot_be_served_is_refused_with_its_code_and_param(string body, string code, string? param)
    {
        var ex = Assert.Throws<ChatRequestException>(() => Parse(body));

        Assert.Equal(code, ex.Code);
        Assert.Equal(param, ex.Param);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void Previous_response_id_is_refused_with_a_message_that_says_to_send_the_conversation()
    {
        var ex = Assert.Throws<ChatRequestException>(() => Parse("""{"input":"hi","previous_response_id":"resp_1"}"""));

        Assert.Contains("send the whole conversation in 'input'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_that_is_not_utf8_is_refused_as_invalid_json()
    {
        var body = Encoding.UTF8.GetBytes("""{"input":"caf_"}""");
        body[Array.IndexOf(body, (byte)'_')] = 0xE9;

        var ex = Assert.Throws<ChatRequestException>(() => ResponsesRequestParser.Parse(body, null, O200kTokenCounter.Instance));

        Assert.Equal("invalid_json", ex.Code);
        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chat_completion_becomes_a_completed_response_with_a_message_and_usage()
    {
        using var request = Parse("""{"input":"hi","instructions":"Be brief.","metadata":{"team":"support"}}""");
        var completion = """
            {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1-nano","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,"completion_tokens_details":{"reasoning_tokens":2}}}
            """u8.ToArray();

        using var response = Json(ResponseObject.FromCompletion(request, "resp_1", 1_800_000_000, "routed", completion, new TokenUsage(12, 4, 5)));
        var root = response.RootElement;

        Assert.Equal("resp_1", root.GetProperty("id").GetString());
        Assert.Equal("response", root.GetProperty("object").GetString());
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal("gpt-4.1-nano", root.GetProperty("model").GetString());
        Assert.Equal("Be brief.", root.GetProperty("instructions").GetString());
        Assert.Equal("support", root.GetProperty("metadata").GetProperty("team").GetString());
        Assert.False(root.GetProperty("store").GetBoolean());
        var item = Assert.Single(root.GetProperty("output").EnumerateArray());
        Assert.Equal("message", item.GetProperty("type").GetString());
        Assert.StartsWith("msg_", item.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("assistant", item.GetProperty("role").GetString());
        var part = Assert.Single(item.GetProperty("content").EnumerateArray());
        Assert.Equal("output_text", part.GetProperty("type").GetString());
        Assert.Equal("Hello!", part.GetProperty("text").GetString());
        var usage = root.GetProperty("usage");
        Assert.Equal(12, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(4, usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(5, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(2, usage.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt64());
        Assert.Equal(17, usage.GetProperty("total_tokens").GetInt64());
    }

    [Fact]
    public void Tool_calls_become_function_call_items_and_a_length_cut_makes_the_response_incomplete()
    {
        using var request = Parse("""{"input":"Weather?","max_output_tokens":20}""");
        var completion = """
            {"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[
              {"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}]}
            """u8.ToArray();
        var cut = """{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"It is sun"},"finish_reason":"length"}]}"""u8.ToArray();

        using var called = Json(ResponseObject.FromCompletion(request, "resp_1", 0, "m", completion, new TokenUsage(5, 0, 9)));
        using var incomplete = Json(ResponseObject.FromCompletion(request, "resp_2", 0, "m", cut, new TokenUsage(5, 0, 20)));

        var call = Assert.Single(called.RootElement.GetProperty("output").EnumerateArray());
        Assert.Equal("function_call", call.GetProperty("type").GetString());
        Assert.Equal("call_1", call.GetProperty("call_id").GetString());
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("{\"location\":\"Paris\"}", call.GetProperty("arguments").GetString());
        Assert.Equal("completed", called.RootElement.GetProperty("status").GetString());
        Assert.Equal("incomplete", incomplete.RootElement.GetProperty("status").GetString());
        Assert.Equal("max_output_tokens", incomplete.RootElement.GetProperty("incomplete_details").GetProperty("reason").GetString());
        Assert.Equal(20, incomplete.RootElement.GetProperty("max_output_tokens").GetInt32());
    }

    [Fact]
    public void A_function_call_in_a_response_goes_back_as_input_with_its_output_and_reaches_the_model_as_the_same_call()
    {
        using var first = Parse("""{"input":"Weather in Paris?"}""");
        var completion = """{"model":"m","choices":[{"index":0,"message":{"role":"assistant","tool_calls":[{"id":"call_7","type":"function","function":{"name":"get_weather","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"""u8.ToArray();
        using var response = Json(ResponseObject.FromCompletion(first, "resp_1", 0, "m", completion, default));
        var output = response.RootElement.GetProperty("output")[0].GetRawText();

        using var second = Parse($$"""{"input":[{"role":"user","content":"Weather in Paris?"},{{output}},{"type":"function_call_output","call_id":"call_7","output":"sunny"}]}""");

        var messages = Messages(second);
        Assert.Equal("call_7", messages[1].GetProperty("tool_calls")[0].GetProperty("id").GetString());
        Assert.Equal("call_7", messages[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("sunny", second.Chat.Messages[2].Text);
    }

    private static string Chunk(string delta, string? finish = null) =>
        $$"""{"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{(finish is null ? "null" : $"\"{finish}\"")}}}]}""";

    private static List<JsonDocument> Run(ResponsesEventStream stream, IEnumerable<string> chunks, TokenUsage usage)
    {
        var events = new List<ResponsesEvent>(stream.Begin("m"));
        foreach (var chunk in chunks)
        {
            events.AddRange(stream.Translate(Encoding.UTF8.GetBytes(chunk)));
        }

        events.AddRange(stream.Complete(usage));
        var documents = events.Select(e => JsonDocument.Parse(e.Data)).ToList();
        Assert.Equal(events.Select(e => e.Type), documents.Select(d => d.RootElement.GetProperty("type").GetString()));
        Assert.Equal(Enumerable.Range(0, events.Count), documents.Select(d => d.RootElement.GetProperty("sequence_number").GetInt32()));
        return documents;
    }

    private static string[] Types(List<JsonDocument> events) => [.. events.Select(e => e.RootElement.GetProperty("type").GetString()!)];

    [Fact]
    public void A_streamed_text_answer_is_sent_as_the_responses_events_in_order_with_sequence_numbers()
    {
        using var request = Parse("""{"input":"hi","stream":true}""");
        var chunks = new[]
        {
            Chunk("""{"role":"assistant","content":""}"""),
            Chunk("""{"content":"Hel"}"""),
            Chunk("""{"content":"lo"}"""),
            Chunk("{}", "stop"),
            """{"id":"c","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}""",
        };

        var events = Run(new ResponsesEventStream(request, "resp_1", 0), chunks, new TokenUsage(3, 0, 2));

        Assert.Equal(
            [
                "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "response.output_item.done", "response.completed",
            ],
            Types(events));
        Assert.Equal("in_progress", events[0].RootElement.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("lo", events[5].RootElement.GetProperty("delta").GetString());
        Assert.Equal("Hello", events[6].RootElement.GetProperty("text").GetString());
        var completed = events[^1].RootElement.GetProperty("response");
        Assert.Equal("completed", completed.GetProperty("status").GetString());
        Assert.Equal("Hello", completed.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(5, completed.GetProperty("usage").GetProperty("total_tokens").GetInt64());
        Assert.Equal(events[2].RootElement.GetProperty("item").GetProperty("id").GetString(), events[4].RootElement.GetProperty("item_id").GetString());
    }

    [Fact]
    public void A_streamed_tool_call_after_text_closes_the_message_then_streams_the_arguments()
    {
        using var request = Parse("""{"input":"Weather?","stream":true}""");
        var chunks = new[]
        {
            Chunk("""{"content":"Let me check."}"""),
            Chunk("""{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]}"""),
            Chunk("""{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}"""),
            Chunk("{}", "tool_calls"),
        };

        var events = Run(new ResponsesEventStream(request, "resp_1", 0), chunks, new TokenUsage(3, 0, 9));

        Assert.Equal(
            [
                "response.created", "response.in_progress",
                "response.output_item.added", "response.content_part.added", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                "response.function_call_arguments.done", "response.output_item.done", "response.completed",
            ],
            Types(events));
        var added = events[8].RootElement;
        Assert.Equal(1, added.GetProperty("output_index").GetInt32());
        Assert.Equal("call_1", added.GetProperty("item").GetProperty("call_id").GetString());
        Assert.Equal("", added.GetProperty("item").GetProperty("arguments").GetString());
        Assert.Equal("{\"location\":\"Paris\"}", events[11].RootElement.GetProperty("arguments").GetString());
        var output = events[^1].RootElement.GetProperty("response").GetProperty("output");
        Assert.Equal(["message", "function_call"], output.EnumerateArray().Select(i => i.GetProperty("type").GetString()));
        Assert.Equal("completed", output[1].GetProperty("status").GetString());
    }

    [Fact]
    public void A_stream_cut_by_the_token_limit_ends_with_response_incomplete()
    {
        using var request = Parse("""{"input":"hi","stream":true,"max_output_tokens":1}""");

        var events = Run(new ResponsesEventStream(request, "resp_1", 0), [Chunk("""{"content":"Hi"}"""), Chunk("{}", "length")], new TokenUsage(3, 0, 1));

        Assert.Equal("response.incomplete", Types(events)[^1]);
        var response = events[^1].RootElement.GetProperty("response");
        Assert.Equal("incomplete", response.GetProperty("status").GetString());
        Assert.Equal("max_output_tokens", response.GetProperty("incomplete_details").GetProperty("reason").GetString());
        Assert.Equal("incomplete", response.GetProperty("output")[0].GetProperty("status").GetString());
    }

    [Fact]
    public void A_stream_that_breaks_off_ends_with_response_failed_and_the_error()
    {
        using var request = Parse("""{"input":"hi","stream":true}""");
        var stream = new ResponsesEventStream(request, "resp_1", 0);
        var sent = stream.Begin("m").Concat(stream.Translate(Encoding.UTF8.GetBytes(Chunk("""{"content":"Hi"}""")))).ToList();

        var failed = Assert.Single(stream.Fail(new ChatError(502, "server_error", "upstream_stream_broken", "The answer broke off.")));

        using var json = Json(failed.Data);
        Assert.Equal("response.failed", failed.Type);
        Assert.Equal(sent.Count, json.RootElement.GetProperty("sequence_number").GetInt32());
        var response = json.RootElement.GetProperty("response");
        Assert.Equal("failed", response.GetProperty("status").GetString());
        Assert.Equal("upstream_stream_broken", response.GetProperty("error").GetProperty("code").GetString());
    }
}
