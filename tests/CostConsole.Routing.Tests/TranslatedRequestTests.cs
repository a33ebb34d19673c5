using System.Text;
using System.Text.Json.Nodes;
using CostConsole.Routing.Protocols.Messages;
using CostConsole.Routing.Protocols.Responses;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

/// <summary>
/// A Responses or Messages request is read once: the router's request comes from the translator, not from parsing the
/// chat body it wrote. Whatever the client sent, rules, budgets, the ledger and the upstream must see exactly what they
/// saw when that chat body was parsed.
/// </summary>
public sealed class TranslatedRequestTests
{
    private const string Tags = "team=support, vip";

    private const string Schema = """{"type":"object","properties":{"order_id":{"type":"string"},"fields":{"type":"array","items":{"type":"string"}}},"required":["order_id"]}""";

    public static TheoryData<string> ResponsesBodies =>
    [
        """{"input":"Where is my parcel?"}""",
        """{"model":"small","input":"Où est mon colis ? «vite» 😀 <b>&</b>","instructions":"Réponds en français.","stream":true,"user":"cust-9","metadata":{"tenant":"acme","user":"meta-user"}}""",
        $$$"""
        {"model":"auto","max_output_tokens":400,"temperature":0.3,"top_p":0.9,"instructions":"Be brief.","parallel_tool_calls":false,
         "input":[
           {"role":"developer","content":"Answer in English."},
           {"type":"message","role":"user","content":[{"type":"input_text","text":""},{"type":"input_text","text":"Order 4471?"},{"type":"input_text","text":"And 4472?"}]},
           {"type":"function_call","call_id":"call_1","name":"get_order","arguments":"{\"order_id\":\"4471\"}"},
           {"type":"function_call","call_id":"call_2","name":"get_order","arguments":"{\"order_id\":\"4472\"}"},
           {"type":"function_call_output","call_id":"call_1","output":"shipped"},
           {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"packed"},{"type":"input_text","text":" today"}]},
           {"type":"message","role":"assistant","content":[{"type":"output_text","text":"One shipped."},{"type":"refusal","refusal":"No refunds."}]},
           {"role":"user","content":"Thanks"}
         ],
         "tools":[{"type":"function","name":"get_order","description":"Look up an order","parameters":{{{Schema}}},"strict":true}],
         "tool_choice":{"type":"function","name":"get_order"},
         "text":{"format":{"type":"json_schema","name":"order","schema":{{{Schema}}},"strict":true}},
         "metadata":{"channel":"chat"},"stream":false}
        """,
        """{"model":"large","input":[{"role":"user","content":"List three colours as JSON."}],"text":{"format":{"type":"json_object"}},"tools":[],"tool_choice":"auto","stream":true}""",
    ];

    public static TheoryData<string, bool> MessagesBodies =>
    [
        ("""{"model":"auto","max_tokens":100,"messages":[{"role":"user","content":"Hello"}]}""", false),
        ("""{"model":"auto","messages":[{"role":"user","content":[{"type":"text","text":"Count me"}]}]}""", true),
        ($$$"""
         {"model":"small","max_tokens":300,"temperature":0.5,"top_p":1,"stop_sequences":["###","END"],"stream":true,"metadata":{"user_id":"cust-7"},
          "system":[{"type":"text","text":"You are terse."},{"type":"text","text":"Answer in English, «toujours»."}],
          "tools":[{"name":"get_order","description":"Look up an order","input_schema":{{{Schema}}}}],
          "tool_choice":{"type":"tool","name":"get_order","disable_parallel_tool_use":true},
          "messages":[
            {"role":"user","content":[{"type":"text","text":"Order 4471?"},{"type":"text","text":"Quickly 😀"}]},
            {"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_order","input":{"order_id":"4471"}}]},
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"not found","is_error":true},{"type":"text","text":"Well?"}]},
            {"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_2","name":"get_order","input":{}}]},
            {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"shipped"}]}]},
            {"role":"assistant","content":"It shipped."},
            {"role":"user","content":[]}
          ]}
         """, false),
        ("""{"model":"auto","max_tokens":50,"system":"Be kind.","tools":[{"name":"noop","input_schema":{"type":"object"}}],"tool_choice":{"type":"any"},"messages":[{"role":"user","content":"Go"}]}""", false),
    ];

    [Theory]
    [MemberData(nameof(ResponsesBodies))]
    public void A_responses_request_reaches_the_router_as_its_chat_body_would(string body)
    {
        using var request = ResponsesRequestParser.Parse(Encoding.UTF8.GetBytes(body), Tags, O200kTokenCounter.Instance);
        using var parsed = ChatRequestParser.Parse(request.Chat.Translated!.Body, Tags, O200kTokenCounter.Instance);

        AssertSame(parsed, request.Chat);
    }

    [Theory]
    [MemberData(nameof(MessagesBodies))]
    public void A_messages_request_reaches_the_router_as_its_chat_body_would(string body, bool counting)
    {
        using var request = MessagesRequestParser.Parse(Encoding.UTF8.GetBytes(body), Tags, O200kTokenCounter.Instance, counting);
        using var parsed = ChatRequestParser.Parse(request.Request.Translated!.Body, Tags, O200kTokenCounter.Instance);

        AssertSame(parsed, request.Request);
        Assert.Equal(MessagesResponse.StopSequences(parsed), MessagesResponse.StopSequences(request.Request));
    }

    [Theory]
    [MemberData(nameof(ResponsesBodies))]
    public void A_responses_request_goes_upstream_as_its_chat_body_would(string body)
    {
        using var request = ResponsesRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance);

        AssertSameUpstream(request.Chat);
    }

    [Theory]
    [MemberData(nameof(MessagesBodies))]
    public void A_messages_request_goes_upstream_as_its_chat_body_would(string body, bool counting)
    {
        using var request = MessagesRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance, counting);

        AssertSameUpstream(request.Request);
    }

    [Fact]
    public void The_document_of_a_translated_request_is_its_chat_body()
    {
        using var request = ResponsesRequestParser.Parse(
            Encoding.UTF8.GetBytes("""{"input":"Give me an order.","text":{"format":{"type":"json_schema","name":"order","schema":""" + Schema + "}}}"), null, O200kTokenCounter.Instance);

        Assert.Equal(Schema, request.Chat.ResponseSchema);
        Assert.Equal("Give me an order.", request.Chat.Root.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    private static void AssertSame(ChatRequest expected, ChatRequest actual)
    {
        Assert.Equal(expected.Model, actual.Model);
        Assert.Equal(expected.Messages, actual.Messages);
        Assert.Equal(expected.LastUserText, actual.LastUserText);
        Assert.Equal(expected.UserTurns, actual.UserTurns);
        Assert.Equal(expected.HasTools, actual.HasTools);
        Assert.Equal(expected.Stream, actual.Stream);
        Assert.Equal(expected.IncludeUsage, actual.IncludeUsage);
        Assert.Equal(expected.WantsLogprobs, actual.WantsLogprobs);
        Assert.Equal(expected.WantsJson, actual.WantsJson);
        Assert.Equal(expected.MaxTokens, actual.MaxTokens);
        Assert.Equal(expected.User, actual.User);
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key), actual.Metadata.OrderBy(p => p.Key));
        Assert.Equal(expected.Tags.Order(), actual.Tags.Order());
        Assert.Equal(expected.PromptText(), actual.PromptText());
        Assert.Equal(expected.PromptTokens, actual.PromptTokens);
    }

    /// <summary>The upstream body spliced from the translator's bytes says what the one written from the parsed chat body says.</summary>
    private static void AssertSameUpstream(ChatRequest translated)
    {
        using var parsed = ChatRequestParser.Parse(translated.Translated!.Body, null, O200kTokenCounter.Instance);
        foreach (var (model, logprobs) in new[] { ("gpt-4.1-nano", false), ("modèle \"spécial\" 😀", true) })
        {
            var expected = JsonNode.Parse(UpstreamBody.Create(parsed, model, new UpstreamOptions(logprobs)).ToMemory().Span);
            var actual = JsonNode.Parse(UpstreamBody.Create(translated, model, new UpstreamOptions(logprobs)).ToMemory().Span);

            Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected!.ToJsonString()}\nactual {actual!.ToJsonString()}");
            Assert.Equal(model, actual!["model"]!.GetValue<string>());
        }
    }
}
