using System.Text;
using System.Text.Json;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Responses;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Tests;

/// <summary><c>store</c> and <c>previous_response_id</c>: what a stored response keeps, and how a later request continues it.</summary>
public sealed class StoredResponsesTranslationTests
{
    private static readonly ResponsesStorage Allowed = new();

    private static ResponsesRequest Parse(string body, ResponsesStorage storage) =>
        ResponsesRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance, storage);

    /// <summary>What the API stores for an answered request: its conversation and its response object.</summary>
    private static PreviousResponse Store(ResponsesRequest request, string id, string completion)
    {
        var response = ResponseObject.FromCompletion(request, id, 1_800_000_000, "routed", Encoding.UTF8.GetBytes(completion), new TokenUsage(10, 0, 5));
        return new PreviousResponse(id, request.Conversation!, Encoding.UTF8.GetString(response));
    }

    private const string Answer = """{"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Your order ships today."},"finish_reason":"stop"}]}""";

    [Fact]
    public void A_request_is_stored_by_default_when_allowed_and_keeps_its_input_without_the_instructions()
    {
        using var request = Parse("""{"input":"Where is my order?","instructions":"Be brief."}""", Allowed);
        using var response = JsonDocument.Parse(ResponseObject.FromCompletion(request, "resp_1", 1, "m", Encoding.UTF8.GetBytes(Answer), new TokenUsage(1, 0, 1)));

        Assert.True(request.Store);
        Assert.True(response.RootElement.GetProperty("store").GetBoolean());
        using var conversation = JsonDocument.Parse(request.Conversation!);
        var message = Assert.Single(conversation.RootElement.EnumerateArray());
        Assert.Equal(("user", "Where is my order?"), (message.GetProperty("role").GetString(), message.GetProperty("content").GetString()));
    }

    [Fact]
    public void Store_false_keeps_nothing_and_the_response_says_so()
    {
        using var request = Parse("""{"input":"hi","store":false}""", Allowed);
        using var response = JsonDocument.Parse(ResponseObject.FromCompletion(request, "resp_1", 1, "m", Encoding.UTF8.GetBytes(Answer), new TokenUsage(1, 0, 1)));

        Assert.False(request.Store);
        Assert.Null(request.Conversation);
        Assert.False(response.RootElement.GetProperty("store").GetBoolean());
    }

    [Fact]
    public void A_continued_request_sends_the_earlier_input_and_answer_before_its_own_and_names_what_it_continues()
    {
        using var first = Parse("""{"input":"Where is my order?","instructions":"Be brief."}""", Allowed);
        var stored = Store(first, "resp_1", Answer);

        using var second = Parse("""{"input":"And when will it arrive?","instructions":"Answer in French.","previous_response_id":"resp_1"}""", new ResponsesStorage { Previous = stored });
        using var response = JsonDocument.Parse(ResponseObject.FromCompletion(second, "resp_2", 1, "m", Encoding.UTF8.GetBytes(Answer), new TokenUsage(1, 0, 1)));

        // The earlier instructions are not carried over, as at OpenAI: each request sends its own.
        Assert.Equal(
            [new ChatTurn("system", "Answer in French."), new ChatTurn("user", "Where is my order?"), new ChatTurn("assistant", "Your order ships today."), new ChatTurn("user", "And when will it arrive?")],
            second.Chat.Messages);
        Assert.Equal(2, second.Chat.UserTurns);
        Assert.Equal("resp_1", response.RootElement.GetProperty("previous_response_id").GetString());
        using var conversation = JsonDocument.Parse(second.Conversation!);
        Assert.Equal(["user", "assistant", "user"], conversation.RootElement.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
    }

    [Fact]
    public void A_function_call_output_may_answer_a_call_of_the_response_it_continues()
    {
        using var first = Parse("""{"input":"Weather in Paris?","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}""", Allowed);
        var stored = Store(first, "resp_1", """
            {"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}]}
            """);

        using var second = Parse("""{"input":[{"type":"function_call_output","call_id":"call_a","output":"sunny"}],"previous_response_id":"resp_1"}""", new ResponsesStorage { Previous = stored });
        var messages = second.Chat.Root.GetProperty("messages");

        Assert.Equal(["user", "assistant", "tool"], second.Chat.Messages.Select(m => m.Role));
        var call = Assert.Single(messages[1].GetProperty("tool_calls").EnumerateArray());
        Assert.Equal(("call_a", "get_weather", """{"location":"Paris"}"""), (call.GetProperty("id").GetString(), call.GetProperty("function").GetProperty("name").GetString(), call.GetProperty("function").GetProperty("arguments").GetString()));
        Assert.Equal(("call_a", "sunny"), (messages[2].GetProperty("tool_call_id").GetString(), messages[2].GetProperty("content").GetString()));
    }

    [Fact]
    public void A_chain_of_three_turns_carries_every_earlier_turn()
    {
        using var first = Parse("""{"input":"One"}""", Allowed);
        var firstStored = Store(first, "resp_1", Answer);
        using var second = Parse("""{"input":"Two","previous_response_id":"resp_1"}""", new ResponsesStorage { Previous = firstStored });
        var secondStored = Store(second, "resp_2", Answer);

        using var third = Parse("""{"input":"Three","previous_response_id":"resp_2"}""", new ResponsesStorage { Previous = secondStored });

        Assert.Equal(["One", "Your order ships today.", "Two", "Your order ships today.", "Three"], third.Chat.Messages.Select(m => m.Text));
    }

    [Fact]
    public void Under_a_policy_that_forbids_storing_store_true_and_previous_response_id_are_refused_with_the_reason()
    {
        var forbidden = new ResponsesStorage { Forbidden = "This API key's prompt storage is 'none'," };

        var store = Assert.Throws<ChatRequestException>(() => Parse("""{"input":"hi","store":true}""", forbidden));
        var previous = Assert.Throws<ChatRequestException>(() => Parse("""{"input":"hi","previous_response_id":"resp_1"}""", forbidden));
        using var unasked = Parse("""{"input":"hi"}""", forbidden);

        Assert.Equal(("store_not_allowed", "store"), (store.Code, store.Param));
        Assert.StartsWith("This API key's prompt storage is 'none', so this response cannot be stored: send 'store': false", store.Message, StringComparison.Ordinal);
        Assert.Equal(("previous_response_not_supported", "previous_response_id"), (previous.Code, previous.Param));
        Assert.Contains("send the whole conversation in 'input'", previous.Message, StringComparison.Ordinal);
        Assert.False(unasked.Store);
    }

    [Theory]
    [InlineData("""{"input":"hi","previous_response_id":42}""", "invalid_type")]
    [InlineData("""{"input":"hi","previous_response_id":"resp_other"}""", "previous_response_not_found")]
    public void A_previous_response_id_that_is_not_a_string_or_not_the_one_fetched_is_refused(string body, string code)
    {
        var ex = Assert.Throws<ChatRequestException>(() => Parse(body, Allowed));

        Assert.Equal((code, "previous_response_id"), (ex.Code, ex.Param));
    }

    [Theory]
    [InlineData("""{"model":"auto","input":"hi","previous_response_id":"resp_9"}""", "resp_9")]
    [InlineData("""{"input":{"previous_response_id":"nested"},"previous_response_id":"resp_9","tools":[]}""", "resp_9")]
    [InlineData("""{"model":"auto","input":"hi"}""", null)]
    [InlineData("""{"previous_response_id":null}""", null)]
    [InlineData("""not json""", null)]
    public void The_previous_response_id_is_read_from_the_top_level_only(string body, string? expected)
    {
        Assert.Equal(expected, ResponsesRequestParser.PreviousResponseId(Encoding.UTF8.GetBytes(body)));
    }
}
