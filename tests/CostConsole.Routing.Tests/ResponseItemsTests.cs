using System.Text;
using System.Text.Json;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Responses;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

/// <summary>The input items of a stored response, listed a page at a time, and <c>item_reference</c> input items that stand for stored items.</summary>
public sealed class ResponseItemsTests
{
    private static ResponsesRequest Parse(string body, ResponsesStorage storage) =>
        ResponsesRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance, storage);

    private static PreviousResponse Store(ResponsesRequest request, string id, string completion)
    {
        var response = ResponseObject.FromCompletion(request, id, 1_800_000_000, "routed", Encoding.UTF8.GetBytes(completion), new TokenUsage(10, 0, 5));
        return new PreviousResponse(id, request.Conversation!, Encoding.UTF8.GetString(response));
    }

    private const string Tools = """[{"type":"function","name":"get_order","parameters":{"type":"object","properties":{"id":{"type":"string"}}}}]""";

    private const string Call = """{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_7","type":"function","function":{"name":"get_order","arguments":"{\"id\":\"4417\"}"}}]},"finish_reason":"tool_calls"}]}""";

    private const string Answer = """{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Your order ships today."},"finish_reason":"stop"}]}""";

    /// <summary>A stored response whose input is a question, a function call and its output, continuing an earlier answer.</summary>
    private static (PreviousResponse First, PreviousResponse Second) Conversation()
    {
        using var first = Parse("""{"input":"Where is order 4417?","instructions":"Be brief."}""", new ResponsesStorage());
        var stored = Store(first, "resp_a1", Answer);
        using var second = Parse(
            """{"previous_response_id":"resp_a1","tools":""" + Tools + ""","input":[{"role":"user","content":[{"type":"input_text","text":"Check it."}]},{"type":"function_call","call_id":"call_7","name":"get_order","arguments":"{}"},{"type":"function_call_output","call_id":"call_7","output":"shipped"}]}""",
            new ResponsesStorage { Previous = stored });
        return (stored, Store(second, "resp_b2", Answer));
    }

    private static List<JsonElement> Data(byte[] page) => JsonDocument.Parse(page).RootElement.GetProperty("data").EnumerateArray().ToList();

    [Fact]
    public void The_input_items_are_what_the_response_was_given_in_the_APIs_item_shapes_with_ids_that_name_the_response()
    {
        var (_, second) = Conversation();

        var items = ResponseItems.Input(second.Id, second.Conversation).Select(item => JsonDocument.Parse(item.Json).RootElement).ToList();

        Assert.Equal(
            ["message user Where is order 4417?", "message assistant Your order ships today.", "message user Check it.", "function_call get_order call_7", "function_call_output shipped call_7"],
            items.Select(item => item.GetProperty("type").GetString() switch
            {
                "message" => $"message {item.GetProperty("role").GetString()} {item.GetProperty("content")[0].GetProperty("text").GetString()}",
                "function_call" => $"function_call {item.GetProperty("name").GetString()} {item.GetProperty("call_id").GetString()}",
                _ => $"function_call_output {item.GetProperty("output").GetString()} {item.GetProperty("call_id").GetString()}",
            }));
        Assert.Equal(["input_text", "output_text", "input_text"], items.Take(3).Select(item => item.GetProperty("content")[0].GetProperty("type").GetString()));
        Assert.All(items, item => Assert.Equal("resp_b2", ResponseItems.ResponseOf(item.GetProperty("id").GetString()!)));
        Assert.Equal(items.Count, items.Select(item => item.GetProperty("id").GetString()).Distinct().Count());
        Assert.Equal(
            ResponseItems.Input(second.Id, second.Conversation).Select(item => item.Id),
            ResponseItems.Input(second.Id, second.Conversation).Select(item => item.Id));
    }

    [Fact]
    public void Pages_come_newest_first_by_default_and_after_an_item_continue_where_the_last_page_ended()
    {
        var (_, second) = Conversation();
        var items = ResponseItems.Input(second.Id, second.Conversation);

        var newest = JsonDocument.Parse(ResponseItems.Page(items, ascending: false, after: null, limit: 2)!).RootElement;
        var oldest = Data(ResponseItems.Page(items, ascending: true, after: null, limit: 20)!);
        var next = JsonDocument.Parse(ResponseItems.Page(items, ascending: true, after: items[2].Id, limit: 20)!).RootElement;

        Assert.Equal("list", newest.GetProperty("object").GetString());
        Assert.Equal([items[4].Id, items[3].Id], newest.GetProperty("data").EnumerateArray().Select(item => item.GetProperty("id").GetString()));
        Assert.Equal((items[4].Id, items[3].Id, true), (newest.GetProperty("first_id").GetString(), newest.GetProperty("last_id").GetString(), newest.GetProperty("has_more").GetBoolean()));
        Assert.Equal(items.Select(item => item.Id), oldest.Select(item => item.GetProperty("id").GetString()));
        Assert.Equal([items[3].Id, items[4].Id], next.GetProperty("data").EnumerateArray().Select(item => item.GetProperty("id").GetString()));
        Assert.False(next.GetProperty("has_more").GetBoolean());
        Assert.Null(ResponseItems.Page(items, ascending: true, after: "msg_elsewhere_0", limit: 20));
    }

    [Fact]
    public void A_reference_to_a_stored_function_call_stands_for_it_and_its_output_may_follow()
    {
        using var asked = Parse("""{"input":"Where is order 4417?","tools":""" + Tools + "}", new ResponsesStorage());
        var stored = Store(asked, "resp_c3", Call);
        var callItem = JsonDocument.Parse(stored.Response).RootElement.GetProperty("output")[0];
        var callId = callItem.GetProperty("id").GetString()!;
        var storage = new ResponsesStorage { Items = new Dictionary<string, string> { [callId] = ResponseItems.Find(stored, callId)! } };

        using var request = Parse(
            """{"tools":TOOLS,"input":[{"role":"user","content":"Where is order 4417?"},{"type":"item_reference","id":"CALL"},{"type":"function_call_output","call_id":"call_7","output":"shipped"}]}"""
                .Replace("TOOLS", Tools, StringComparison.Ordinal).Replace("CALL", callId, StringComparison.Ordinal),
            storage);

        Assert.Equal(["user", "assistant", "tool"], request.Chat.Messages.Select(m => m.Role));
        using var conversation = JsonDocument.Parse(request.Conversation!);
        var call = conversation.RootElement[1].GetProperty("tool_calls")[0];
        Assert.Equal(("call_7", "get_order", """{"id":"4417"}"""), (call.GetProperty("id").GetString(), call.GetProperty("function").GetProperty("name").GetString(), call.GetProperty("function").GetProperty("arguments").GetString()));
    }

    [Fact]
    public void A_reference_to_a_stored_input_item_or_answer_is_found_by_its_id()
    {
        var (first, second) = Conversation();
        var question = ResponseItems.Input(second.Id, second.Conversation)[0];
        var answerId = JsonDocument.Parse(first.Response).RootElement.GetProperty("output")[0].GetProperty("id").GetString()!;

        Assert.Equal(question.Json, ResponseItems.Find(second, question.Id));
        Assert.Contains("Your order ships today.", ResponseItems.Find(first, answerId), StringComparison.Ordinal);
        Assert.Null(ResponseItems.Find(first, question.Id));
        Assert.Null(ResponseItems.Find(second, "msg_b2_99"));
    }

    [Fact]
    public void A_reference_to_an_item_the_caller_cannot_see_or_without_storage_is_refused_and_says_what_to_send()
    {
        const string body = """{"input":[{"type":"item_reference","id":"msg_x_0"}]}""";

        var missing = Assert.Throws<ChatRequestException>(() => Parse(body, new ResponsesStorage()));
        var forbidden = Assert.Throws<ChatRequestException>(() => Parse(body, new ResponsesStorage { Forbidden = "This API key's prompt storage is 'none'," }));

        Assert.Equal(("item_not_found", "input[0].id"), (missing.Code, missing.Param));
        Assert.Contains("'msg_x_0'", missing.Message, StringComparison.Ordinal);
        Assert.Contains("send the item itself", missing.Message, StringComparison.Ordinal);
        Assert.Equal(("item_reference_not_supported", "input[0]"), (forbidden.Code, forbidden.Param));
        Assert.StartsWith("This API key's prompt storage is 'none', so there are no stored items", forbidden.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"input":[{"type":"item_reference","id":"fc_1"},{"role":"user","content":"item_reference"},{"type":"item_reference","id":"fc_1"},{"type":"item_reference","id":"msg_2"}]}""", "fc_1,msg_2")]
    [InlineData("""{"input":"item_reference"}""", "")]
    [InlineData("""{"input":[{"type":"item_reference","id":"fc_1"}""", "")]
    public void The_references_are_read_before_the_request_so_the_host_can_fetch_them(string body, string expected)
    {
        Assert.Equal(expected, string.Join(",", ResponseItems.References(Encoding.UTF8.GetBytes(body))));
    }
}
