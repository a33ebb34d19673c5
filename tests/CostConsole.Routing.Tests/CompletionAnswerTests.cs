using System.Text;
using System.Text.Json;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Messages;
using CostConsole.Routing.Protocols.Responses;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

/// <summary>
/// A Responses or Messages answer is written straight from the bytes of the upstream's chat completion: whatever the
/// completion escapes, and in whatever order it sends its fields, the client reads the text, calls and usage the model gave.
/// </summary>
public sealed class CompletionAnswerTests
{
    private static readonly TokenUsage Usage = new(620, 100, 74);

    /// <summary>Escaped quotes, an escaped accent, an emoji as a surrogate pair and markup, as upstreams write them.</summary>
    private const string EscapedText = """Caf\u00e9 \"ouvert\" \ud83d\ude00 <b>&</b>\nfin""";

    private const string Text = "Café \"ouvert\" 😀 <b>&</b>\nfin";

    private static ResponsesRequest Request(string body = """{"input":"Hi","instructions":"Be brief.","max_output_tokens":50,"metadata":{"team":"support"}}""") =>
        ResponsesRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance);

    private static JsonElement Response(ResponsesRequest request, string completion) =>
        JsonDocument.Parse(ResponseObject.FromCompletion(request, "resp_1", 1_765_000_000, "routed-model", Encoding.UTF8.GetBytes(completion), Usage)).RootElement;

    private static JsonElement Message(string completion, IReadOnlyList<string>? stops = null) =>
        JsonDocument.Parse(MessagesResponse.FromChatCompletion(Encoding.UTF8.GetBytes(completion), "msg_1", "routed-model", Usage, stops).ToArray()).RootElement;

    [Fact]
    public void A_responses_answer_carries_escaped_text_unescaped_whatever_the_order_of_the_fields()
    {
        using var request = Request();
        var response = Response(request, $$$"""
            {"usage":{"prompt_tokens":620,"completion_tokens":74,"completion_tokens_details":{"reasoning_tokens":12}},
             "choices":[{"finish_reason":"stop","index":0,"message":{"refusal":null,"content":"{{{EscapedText}}}","role":"assistant"}},
                        {"index":1,"message":{"role":"assistant","content":"second choice"},"finish_reason":"stop"}],
             "model":"gpt-\u00e9-nano","id":"chatcmpl-1"}
            """);

        Assert.Equal("completed", response.GetProperty("status").GetString());
        Assert.Equal("gpt-é-nano", response.GetProperty("model").GetString());
        var output = Assert.Single(response.GetProperty("output").EnumerateArray());
        Assert.Equal("message", output.GetProperty("type").GetString());
        Assert.Equal("completed", output.GetProperty("status").GetString());
        var part = Assert.Single(output.GetProperty("content").EnumerateArray());
        Assert.Equal("output_text", part.GetProperty("type").GetString());
        Assert.Equal(Text, part.GetProperty("text").GetString());
        var usage = response.GetProperty("usage");
        Assert.Equal(620, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(100, usage.GetProperty("input_tokens_details").GetProperty("cached_tokens").GetInt64());
        Assert.Equal(74, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(12, usage.GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt64());
        Assert.Equal("Be brief.", response.GetProperty("instructions").GetString());
        Assert.Equal(50, response.GetProperty("max_output_tokens").GetInt32());
        Assert.Equal("support", response.GetProperty("metadata").GetProperty("team").GetString());
    }

    [Fact]
    public void A_responses_answer_cut_by_the_token_limit_is_incomplete_with_its_refusal_text_and_calls()
    {
        using var request = Request();
        var response = Response(request, """
            {"id":"c","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Partial \"answer\"","refusal":"I can\u2019t help with refunds.",
              "tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_order","arguments":"{\"order_id\":\"4471\",\"note\":\"caf\\u00e9\"}"}},
                            {"type":"function","function":{"name":"cancel_order","arguments":"{}"}}]},"finish_reason":"length"}]}
            """);

        Assert.Equal("incomplete", response.GetProperty("status").GetString());
        Assert.Equal("max_output_tokens", response.GetProperty("incomplete_details").GetProperty("reason").GetString());
        var output = response.GetProperty("output").EnumerateArray().ToArray();
        Assert.Equal(["message", "function_call", "function_call"], output.Select(o => o.GetProperty("type").GetString()));
        Assert.Equal("incomplete", output[0].GetProperty("status").GetString());
        var parts = output[0].GetProperty("content").EnumerateArray().ToArray();
        Assert.Equal(["refusal", "output_text"], parts.Select(p => p.GetProperty("type").GetString()));
        Assert.Equal("I can’t help with refunds.", parts[0].GetProperty("refusal").GetString());
        Assert.Equal("Partial \"answer\"", parts[1].GetProperty("text").GetString());
        Assert.Equal("completed", output[1].GetProperty("status").GetString());
        Assert.Equal("call_a", output[1].GetProperty("call_id").GetString());
        Assert.Equal("get_order", output[1].GetProperty("name").GetString());
        Assert.Equal("""{"order_id":"4471","note":"caf\u00e9"}""", output[1].GetProperty("arguments").GetString());
        Assert.StartsWith("call_", output[2].GetProperty("call_id").GetString());
        Assert.Equal("cancel_order", output[2].GetProperty("name").GetString());
        Assert.Equal("{}", output[2].GetProperty("arguments").GetString());
    }

    [Fact]
    public void A_responses_answer_that_only_calls_tools_has_no_message_item()
    {
        using var request = Request();
        var response = Response(request, """
            {"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_order","arguments":"{\"order_id\":\"1\"}"}}]},"finish_reason":"tool_calls"}]}
            """);

        var output = Assert.Single(response.GetProperty("output").EnumerateArray());
        Assert.Equal("function_call", output.GetProperty("type").GetString());
        Assert.Equal("""{"order_id":"1"}""", output.GetProperty("arguments").GetString());
        Assert.Equal("routed-model", response.GetProperty("model").GetString());
        Assert.Equal(0, response.GetProperty("usage").GetProperty("output_tokens_details").GetProperty("reasoning_tokens").GetInt64());
    }

    [Fact]
    public void A_responses_answer_without_a_message_has_no_output()
    {
        using var request = Request();

        var response = Response(request, """{"id":"c","choices":[{"index":0,"finish_reason":"stop"}]}""");

        Assert.Empty(response.GetProperty("output").EnumerateArray());
        Assert.Equal("completed", response.GetProperty("status").GetString());
    }

    [Fact]
    public void A_messages_answer_carries_escaped_text_and_tool_input_unescaped()
    {
        var message = Message("""
            {"id":"c","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Let me \"check\" \u00e9",
              "tool_calls":[{"id":"call_9","type":"function","function":{"name":"get_order","arguments":"{\"order_id\":\"4471\",\"note\":\"caf\\u00e9\"}"}},
                            {"id":"call_x","type":"function"}]}}],"model":"claude-\u00e9"}
            """);

        Assert.Equal("claude-é", message.GetProperty("model").GetString());
        var content = message.GetProperty("content").EnumerateArray().ToArray();
        Assert.Equal(["text", "tool_use"], content.Select(c => c.GetProperty("type").GetString()));
        Assert.Equal("Let me \"check\" é", content[0].GetProperty("text").GetString());
        Assert.Equal("call_9", content[1].GetProperty("id").GetString());
        Assert.Equal("get_order", content[1].GetProperty("name").GetString());
        Assert.Equal("4471", content[1].GetProperty("input").GetProperty("order_id").GetString());
        Assert.Equal("café", content[1].GetProperty("input").GetProperty("note").GetString());
        Assert.Equal("tool_use", message.GetProperty("stop_reason").GetString());
        var usage = message.GetProperty("usage");
        Assert.Equal(520, usage.GetProperty("input_tokens").GetInt64());
        Assert.Equal(74, usage.GetProperty("output_tokens").GetInt64());
        Assert.Equal(100, usage.GetProperty("cache_read_input_tokens").GetInt64());
    }

    [Theory]
    [InlineData("""{"choices":[{"index":0,"message":{"role":"assistant","content":"Done. \u00e9###"},"finish_reason":"stop"}]}""", "###")]
    [InlineData("""{"choices":[{"index":0,"message":{"role":"assistant","content":"Done."},"finish_reason":"stop","stop_reason":"END"}]}""", "END")]
    public void A_messages_answer_names_the_stop_sequence_that_ended_it(string completion, string sequence)
    {
        var message = Message(completion, ["###", "END"]);

        Assert.Equal("stop_sequence", message.GetProperty("stop_reason").GetString());
        Assert.Equal(sequence, message.GetProperty("stop_sequence").GetString());
        Assert.Equal("routed-model", message.GetProperty("model").GetString());
    }

    [Fact]
    public void A_messages_answer_that_ended_on_its_own_says_end_turn()
    {
        var message = Message("""{"choices":[{"index":0,"message":{"role":"assistant","content":"Done."},"finish_reason":"stop"}]}""", ["###"]);

        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_sequence").ValueKind);
        Assert.Equal("Done.", Assert.Single(message.GetProperty("content").EnumerateArray()).GetProperty("text").GetString());
    }
}
