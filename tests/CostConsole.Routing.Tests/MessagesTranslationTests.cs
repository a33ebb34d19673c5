using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Messages;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

public sealed class MessagesTranslationTests
{
    private const string Weather = """{"name":"get_weather","description":"Weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}""";

    private static JsonNode Translate(string json, bool counting = false) =>
        JsonNode.Parse(MessagesRequestParser.Translate(Encoding.UTF8.GetBytes(json), counting).Body.Span)!;

    private static MessagesRequest Parse(string json, bool counting = false) =>
        MessagesRequestParser.Parse(Encoding.UTF8.GetBytes(json), null, O200kTokenCounter.Instance, counting);

    [Fact]
    public void A_conversation_with_a_tool_round_trip_becomes_the_equivalent_chat_completions_request()
    {
        var chat = Translate($$$"""
            {"model":"auto","max_tokens":300,"system":[{"type":"text","text":"You are terse."},{"type":"text","text":"Answer in English."}],
             "tools":[{{{Weather}}}],
             "messages":[
               {"role":"user","content":"Weather in Paris?"},
               {"role":"assistant","content":[{"type":"text","text":"Let me look."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"text","text":"Sunny"}]},{"type":"text","text":"And tomorrow?"}]},
               {"role":"assistant","content":[{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":"no forecast","is_error":true}]}],
             "stop_sequences":["END"],"temperature":0.2,"top_p":0.9,"metadata":{"user_id":"u-42"}}
            """);

        Assert.Equal("auto", (string?)chat["model"]);
        Assert.Equal(300, (int?)chat["max_tokens"]);
        Assert.Equal("u-42", (string?)chat["user"]);
        Assert.Equal("END", (string?)chat["stop"]![0]);
        Assert.Equal(0.2, (double?)chat["temperature"]);
        Assert.Equal(0.9, (double?)chat["top_p"]);
        var tool = chat["tools"]![0]!;
        Assert.Equal("function", (string?)tool["type"]);
        Assert.Equal("get_weather", (string?)tool["function"]!["name"]);
        Assert.Equal("Weather for a city", (string?)tool["function"]!["description"]);
        Assert.Equal("city", (string?)tool["function"]!["parameters"]!["required"]![0]);

        var messages = chat["messages"]!.AsArray();
        Assert.Equal(["system", "user", "assistant", "tool", "user", "assistant", "tool"], messages.Select(m => (string)m!["role"]!));
        Assert.Equal("You are terse.\nAnswer in English.", (string?)messages[0]!["content"]);
        Assert.Equal("Let me look.", (string?)messages[2]!["content"]);
        var call = messages[2]!["tool_calls"]![0]!;
        Assert.Equal("toolu_1", (string?)call["id"]);
        Assert.Equal("get_weather", (string?)call["function"]!["name"]);
        Assert.Equal("Paris", (string?)JsonNode.Parse((string)call["function"]!["arguments"]!)!["city"]);
        Assert.Equal("toolu_1", (string?)messages[3]!["tool_call_id"]);
        Assert.Equal("Sunny", (string?)messages[3]!["content"]);
        Assert.Equal("And tomorrow?", (string?)messages[4]!["content"]);
        // An assistant turn with only a tool call has no text, as chat completions expects.
        Assert.Null(messages[5]!["content"]);
        Assert.Equal("Error: no forecast", (string?)messages[6]!["content"]);
    }

    [Fact]
    public void The_router_reads_the_translated_request_as_it_reads_chat_completions()
    {
        using var parsed = Parse($$"""{"model":"large","max_tokens":50,"stream":true,"tools":[{{Weather}}],"metadata":{"user_id":"u-7"},"messages":[{"role":"user","content":[{"type":"text","text":"first"},{"type":"text","text":"second"}]}]}""");
        var request = parsed.Request;

        Assert.Equal("large", request.Model);
        Assert.Equal(50, request.MaxTokens);
        Assert.True(request.Stream);
        // The Messages stream reports usage in message_delta, so the router always asks for it.
        Assert.True(request.IncludeUsage);
        Assert.True(request.HasTools);
        Assert.Equal("u-7", request.User);
        Assert.Equal("first\nsecond", request.LastUserText);
        Assert.Empty(parsed.Dropped);
    }

    [Theory]
    [InlineData("""{"type":"auto"}""", "\"auto\"")]
    [InlineData("""{"type":"any"}""", "\"required\"")]
    [InlineData("""{"type":"none"}""", "\"none\"")]
    [InlineData("""{"type":"tool","name":"get_weather"}""", """{"type":"function","function":{"name":"get_weather"}}""")]
    public void Tool_choice_maps_to_its_chat_completions_equivalent(string choice, string expected)
    {
        var chat = Translate($$"""{"model":"auto","max_tokens":10,"tools":[{{Weather}}],"tool_choice":{{choice}},"messages":[{"role":"user","content":"hi"}]}""");

        Assert.Equal(expected, chat["tool_choice"]!.ToJsonString());
        Assert.Null(chat["parallel_tool_calls"]);
    }

    [Fact]
    public void Disabling_parallel_tool_use_turns_off_parallel_tool_calls()
    {
        var chat = Translate($$"""{"model":"auto","max_tokens":10,"tools":[{{Weather}}],"tool_choice":{"type":"auto","disable_parallel_tool_use":true},"messages":[{"role":"user","content":"hi"}]}""");

        Assert.False((bool?)chat["parallel_tool_calls"]);
    }

    [Fact]
    public void Sampling_thinking_and_caching_hints_are_dropped_and_named()
    {
        using var parsed = Parse("""
            {"model":"auto","max_tokens":10,"top_k":5,"thinking":{"type":"enabled","budget_tokens":1024},
             "system":[{"type":"text","text":"Be brief.","cache_control":{"type":"ephemeral"}}],
             "messages":[{"role":"user","content":"hi"}]}
            """);

        Assert.Equal(["cache_control", "thinking", "top_k"], parsed.Dropped);
        Assert.Equal("hi", parsed.Request.LastUserText);
    }

    [Fact]
    public void Counting_tokens_needs_no_max_tokens_and_counts_what_the_ledger_would()
    {
        const string Body = """{"model":"auto","system":"Be brief.","messages":[{"role":"user","content":"Hello, world!"}]}""";
        using var counted = Parse(Body, counting: true);
        using var chat = TestRouting.Request("Hello, world!", system: "Be brief.");

        Assert.Equal(chat.PromptTokens, counted.Request.PromptTokens);
        Assert.Equal("missing_max_tokens", Assert.Throws<ChatRequestException>(() => Parse(Body)).Code);
    }

    [Theory]
    [InlineData("{not json", "invalid_json", "not valid JSON")]
    [InlineData("""{"model":"auto","messages":[{"role":"user","content":"hi"}]}""", "missing_max_tokens", "'max_tokens' is required")]
    [InlineData("""{"model":"auto","max_tokens":0,"messages":[{"role":"user","content":"hi"}]}""", "invalid_max_tokens", "positive whole number")]
    [InlineData("""{"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}""", "invalid_model", "'model' is required")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[]}""", "missing_messages", "non-empty array")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"system","content":"hi"}]}""", "invalid_message", "top-level 'system'")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}""", "unsupported_content", "messages[0].content[0] is a 'image' block")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{}}]}]}""", "unsupported_content", "'document' block")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":"x"}]}]}""", "unknown_tool_use_id", "'toolu_9'")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"mcp_servers":[]}""", "unsupported_field", "'mcp_servers'")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}""", "unsupported_tool", "runs at Anthropic")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tool_choice":{"type":"any"}}""", "invalid_tool_choice", "no 'tools'")]
    [InlineData("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"metadata":{"session":"x"}}""", "invalid_metadata", "'user_id'")]
    public void A_request_that_cannot_be_served_is_refused_with_a_message_naming_the_problem(string json, string code, string message)
    {
        var ex = Assert.Throws<ChatRequestException>(() => Parse(json));

        Assert.Equal(code, ex.Code);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_body_that_is_not_utf8_is_refused()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"auto","max_tokens":10,"messages":[{"role":"user","content":"caf?"}]}""");
        body[Array.IndexOf(body, (byte)'?')] = 0xE9;

        var ex = Assert.Throws<ChatRequestException>(() => MessagesRequestParser.Parse(body, null, O200kTokenCounter.Instance));

        Assert.Contains("UTF-8", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chat_completion_with_text_and_a_tool_call_becomes_a_message_with_both_blocks()
    {
        const string Completion = """
            {"id":"chatcmpl-1","object":"chat.completion","model":"gpt-4.1-nano","choices":[{"index":0,"finish_reason":"tool_calls",
             "message":{"role":"assistant","content":"Checking.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}}],
             "usage":{"prompt_tokens":120,"completion_tokens":9,"prompt_tokens_details":{"cached_tokens":100}}}
            """;

        var message = JsonNode.Parse(MessagesResponse.FromChatCompletion(Encoding.UTF8.GetBytes(Completion), "msg_abc", "fallback", new TokenUsage(120, 100, 9)).Span)!;

        Assert.Equal("msg_abc", (string?)message["id"]);
        Assert.Equal("message", (string?)message["type"]);
        Assert.Equal("assistant", (string?)message["role"]);
        Assert.Equal("gpt-4.1-nano", (string?)message["model"]);
        Assert.Equal("tool_use", (string?)message["stop_reason"]);
        Assert.Null(message["stop_sequence"]);
        var content = message["content"]!.AsArray();
        Assert.Equal("""{"type":"text","text":"Checking."}""", content[0]!.ToJsonString());
        Assert.Equal("""{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}""", content[1]!.ToJsonString());
        // Messages counts cache reads apart from the input tokens.
        Assert.Equal("""{"input_tokens":20,"output_tokens":9,"cache_read_input_tokens":100,"cache_creation_input_tokens":0}""", message["usage"]!.ToJsonString());
    }

    [Theory]
    [InlineData("stop", false, "end_turn")]
    [InlineData("length", false, "max_tokens")]
    [InlineData("tool_calls", true, "tool_use")]
    [InlineData("content_filter", false, "refusal")]
    [InlineData(null, true, "tool_use")]
    public void A_finish_reason_becomes_its_stop_reason(string? finish, bool calledTools, string expected) =>
        Assert.Equal(expected, MessagesResponse.StopReason(finish, calledTools));

    [Fact]
    public void A_stream_of_text_then_a_tool_call_becomes_blocks_in_order_with_usage_at_the_end()
    {
        var stream = new MessagesStream("msg_1", 42, O200kTokenCounter.Instance);
        var events = new List<MessagesStreamEvent>(stream.Start("gpt-4.1-nano"));
        foreach (var chunk in (string[])
        [
            """{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""",
            """{"choices":[{"index":0,"delta":{"content":"Let me "}}]}""",
            """{"choices":[{"index":0,"delta":{"content":"check."}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]}""",
            """{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}}]}""",
            """{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
            """{"choices":[],"usage":{"prompt_tokens":40,"completion_tokens":12}}""",
        ])
        {
            events.AddRange(stream.Translate(Encoding.UTF8.GetBytes(chunk)));
        }

        events.AddRange(stream.Finish());

        Assert.Equal(
            [
                "message_start",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop",
            ],
            events.Select(e => e.Name));
        var data = events.Select(e => JsonNode.Parse(e.Data.Span)!).ToList();
        Assert.All(events.Zip(data), pair => Assert.Equal(pair.First.Name, (string?)pair.Second["type"]));
        var start = data[0]["message"]!;
        Assert.Equal("msg_1", (string?)start["id"]);
        Assert.Equal("gpt-4.1-nano", (string?)start["model"]);
        Assert.Empty(start["content"]!.AsArray());
        Assert.Equal(42, (int?)start["usage"]!["input_tokens"]);
        Assert.Equal("""{"type":"text","text":""}""", data[1]["content_block"]!.ToJsonString());
        Assert.Equal("Let me check.", (string?)data[2]["delta"]!["text"] + (string?)data[3]["delta"]!["text"]);
        Assert.Equal(0, (int?)data[4]["index"]);
        Assert.Equal(1, (int?)data[5]["index"]);
        Assert.Equal("""{"type":"tool_use","id":"call_1","name":"get_weather","input":{}}""", data[5]["content_block"]!.ToJsonString());
        Assert.Equal("input_json_delta", (string?)data[6]["delta"]!["type"]);
        Assert.Equal("""{"city":"Paris"}""", (string?)data[6]["delta"]!["partial_json"] + (string?)data[7]["delta"]!["partial_json"]);
        Assert.Equal(1, (int?)data[8]["index"]);
        Assert.Equal("tool_use", (string?)data[9]["delta"]!["stop_reason"]);
        Assert.Equal(12, (int?)data[9]["usage"]!["output_tokens"]);
        Assert.Equal(40, (int?)data[9]["usage"]!["input_tokens"]);
    }

    [Fact]
    public void A_stream_without_usage_counts_the_answer_itself()
    {
        var stream = new MessagesStream("msg_2", 10, O200kTokenCounter.Instance);
        stream.Start("m");
        stream.Translate("""{"choices":[{"index":0,"delta":{"content":"Hello, world!"},"finish_reason":"length"}]}"""u8);

        var delta = JsonNode.Parse(stream.Finish()[1].Data.Span)!;

        Assert.Equal("max_tokens", (string?)delta["delta"]!["stop_reason"]);
        Assert.Equal(O200kTokenCounter.Instance.CountTokens("Hello, world!"), (int?)delta["usage"]!["output_tokens"]);
        Assert.Equal(10, (int?)delta["usage"]!["input_tokens"]);
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    [InlineData(404, "not_found_error")]
    [InlineData(413, "request_too_large")]
    [InlineData(429, "rate_limit_error")]
    [InlineData(502, "api_error")]
    [InlineData(503, "overloaded_error")]
    public void Errors_take_anthropics_shape_with_the_type_of_their_status(int status, string type)
    {
        var error = JsonNode.Parse(MessagesErrors.Serialize(new ChatError(status, "x", "code", "What to do about it.")).Span)!;

        Assert.Equal("error", (string?)error["type"]);
        Assert.Equal(type, (string?)error["error"]!["type"]);
        Assert.Equal("What to do about it.", (string?)error["error"]!["message"]);
    }
}

/// <summary>Which stop sequence ended an answer, when chat completions only says "stop".</summary>
public sealed class MessagesStopSequenceTests
{
    private static JsonNode Message(string choice, IReadOnlyList<string>? stops) =>
        JsonNode.Parse(MessagesResponse.FromChatCompletion(
            Encoding.UTF8.GetBytes("""{"model":"m","choices":[""" + choice + """],"usage":{"prompt_tokens":5,"completion_tokens":3}}"""),
            "msg_1",
            "m",
            new TokenUsage(5, 0, 3),
            stops).Span)!;

    [Theory]
    [InlineData("""{"index":0,"message":{"role":"assistant","content":"Your order ships"},"finish_reason":"stop","stop_reason":"###"}""", "###")]
    [InlineData("""{"index":0,"message":{"role":"assistant","content":"Your order ships###"},"finish_reason":"stop"}""", "###")]
    [InlineData("""{"index":0,"message":{"role":"assistant","content":"Your order ships END"},"finish_reason":"stop"}""", "END")]
    public void A_stop_the_upstream_names_or_leaves_at_the_end_is_reported_as_that_stop_sequence(string choice, string expected)
    {
        var message = Message(choice, ["###", "END"]);

        Assert.Equal(("stop_sequence", expected), ((string?)message["stop_reason"], (string?)message["stop_sequence"]));
    }

    [Theory]
    [InlineData("""{"index":0,"message":{"role":"assistant","content":"Your order ships."},"finish_reason":"stop"}""", "###", "end_turn")]
    [InlineData("""{"index":0,"message":{"role":"assistant","content":"Your order ships."},"finish_reason":"stop","stop_reason":"other"}""", "###", "end_turn")]
    [InlineData("""{"index":0,"message":{"role":"assistant","content":"Your order ###"},"finish_reason":"length"}""", "###", "max_tokens")]
    [InlineData("""{"index":0,"message":{"role":"assistant","content":"Your order ###"},"finish_reason":"stop"}""", null, "end_turn")]
    public void A_stop_that_matches_no_sequence_of_the_request_keeps_its_own_reason(string choice, string? stop, string expected)
    {
        var message = Message(choice, stop is null ? null : [stop]);

        Assert.Equal(expected, (string?)message["stop_reason"]);
        Assert.Null(message["stop_sequence"]);
    }

    [Fact]
    public void A_streamed_answer_ended_by_a_stop_sequence_says_so_in_its_message_delta()
    {
        var stream = new MessagesStream("msg_1", 10, O200kTokenCounter.Instance, ["\n\n", "###"]);
        stream.Start("m");
        stream.Translate("""{"choices":[{"index":0,"delta":{"content":"Your order"}}]}"""u8);
        stream.Translate("""{"choices":[{"index":0,"delta":{"content":" ships"},"finish_reason":"stop","stop_reason":"###"}]}"""u8);

        var delta = JsonNode.Parse(stream.Finish()[^2].Data.Span)!["delta"]!;

        Assert.Equal(("stop_sequence", "###"), ((string?)delta["stop_reason"], (string?)delta["stop_sequence"]));
    }

    [Fact]
    public void The_request_keeps_its_stop_sequences_for_the_answer()
    {
        using var request = MessagesRequestParser.Parse(
            """{"model":"auto","max_tokens":20,"stop_sequences":["###","END"],"messages":[{"role":"user","content":"hi"}]}"""u8.ToArray(), null, O200kTokenCounter.Instance, false);

        Assert.Equal(["###", "END"], MessagesResponse.StopSequences(request.Request));
    }
}
