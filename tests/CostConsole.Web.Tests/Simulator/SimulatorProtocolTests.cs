using System.Net;
using System.Text;
using System.Text.Json;
using NJsonSchema;

namespace CostConsole.Web.Tests.Simulator;

/// <summary>The simulator's <c>/v1/messages</c> and <c>/v1/responses</c>, over real HTTP, as a provider marked with that protocol calls them.</summary>
public sealed class SimulatorProtocolTests
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    private const string LabelSchema = """{"type":"object","properties":{"label":{"type":"string","enum":["billing","shipping"]},"confidence":{"type":"number","minimum":0,"maximum":1}},"required":["label","confidence"],"additionalProperties":false}""";

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(SimulatorHost host, string path, string json, bool anthropic)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sim/v1/" + path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (anthropic)
        {
            request.Headers.Add("x-api-key", "any");
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        using var response = await host.Http.SendAsync(request, Cancel);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Cancel));
    }

    private static List<(string Name, JsonElement Data)> Events(string body) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (lines[0]["event: ".Length..], JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone()))];

    [Fact]
    public async Task A_messages_call_gets_a_message_with_usage_in_anthropics_fields()
    {
        await using var host = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(host, "messages", """{"model":"gpt-4.1-nano","max_tokens":200,"system":"Be brief.","messages":[{"role":"user","content":"Where is my parcel?"}]}""", anthropic: true);

        Assert.Equal(HttpStatusCode.OK, status);
        var message = JsonDocument.Parse(body).RootElement;
        Assert.Equal(("message", "assistant", "end_turn"), (message.GetProperty("type").GetString(), message.GetProperty("role").GetString(), message.GetProperty("stop_reason").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(message.GetProperty("content")[0].GetProperty("text").GetString()));
        Assert.True(message.GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
        Assert.True(message.GetProperty("usage").GetProperty("output_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task A_streamed_messages_call_with_a_forced_tool_sends_anthropics_events_in_order()
    {
        await using var host = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(host, "messages", """
            {"model":"gpt-4.1-nano","max_tokens":200,"stream":true,"messages":[{"role":"user","content":"Weather in Oslo for 3 days"}],
             "tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"location":{"type":"string"},"days":{"type":"integer","minimum":1,"maximum":7}},"required":["location","days"]}}],
             "tool_choice":{"type":"tool","name":"get_weather"}}
            """, anthropic: true);

        Assert.Equal(HttpStatusCode.OK, status);
        var events = Events(body);
        Assert.Equal(["message_start", "content_block_start"], events.Take(2).Select(e => e.Name));
        Assert.Equal(["content_block_stop", "message_delta", "message_stop"], events.TakeLast(3).Select(e => e.Name));
        Assert.Equal("tool_use", events[1].Data.GetProperty("content_block").GetProperty("type").GetString());
        var arguments = string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("partial_json").GetString()));
        var input = JsonDocument.Parse(arguments).RootElement;
        Assert.Equal(JsonValueKind.String, input.GetProperty("location").ValueKind);
        Assert.InRange(input.GetProperty("days").GetInt32(), 1, 7);
        Assert.Equal("tool_use", events[^2].Data.GetProperty("delta").GetProperty("stop_reason").GetString());
        Assert.True(events[^2].Data.GetProperty("usage").GetProperty("output_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task A_messages_call_with_an_output_schema_answers_json_valid_against_it()
    {
        await using var host = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(host, "messages",
            """{"model":"gpt-4.1-mini","max_tokens":200,"messages":[{"role":"user","content":"Label: my card was charged twice"}],"output_config":{"format":{"type":"json_schema","schema":"""
            + LabelSchema + "}}}", anthropic: true);

        Assert.Equal(HttpStatusCode.OK, status);
        var text = JsonDocument.Parse(body).RootElement.GetProperty("content")[0].GetProperty("text").GetString()!;
        var schema = await JsonSchema.FromJsonAsync(LabelSchema, Cancel);
        Assert.Empty(schema.Validate(text));
    }

    [Fact]
    public async Task A_messages_call_without_max_tokens_is_refused_in_anthropics_error_shape()
    {
        await using var host = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(host, "messages", """{"model":"gpt-4.1-nano","messages":[{"role":"user","content":"Hi"}]}""", anthropic: true);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = JsonDocument.Parse(body).RootElement;
        Assert.Equal(("error", "invalid_request_error"), (error.GetProperty("type").GetString(), error.GetProperty("error").GetProperty("type").GetString()));
        Assert.Contains("max_tokens", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_responses_call_gets_a_completed_response_with_usage()
    {
        await using var host = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(host, "responses", """{"model":"gpt-4.1-nano","instructions":"Be brief.","input":"Where is my parcel?"}""", anthropic: false);

        Assert.Equal(HttpStatusCode.OK, status);
        var response = JsonDocument.Parse(body).RootElement;
        Assert.Equal(("response", "completed"), (response.GetProperty("object").GetString(), response.GetProperty("status").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(response.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString()));
        Assert.True(response.GetProperty("usage").GetProperty("output_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task A_streamed_responses_call_with_a_function_tool_sends_the_responses_events_ending_completed()
    {
        await using var host = await SimulatorHost.StartAsync();

        var (status, body) = await PostAsync(host, "responses", """
            {"model":"gpt-4.1-nano","stream":true,"input":"Weather in Oslo for 3 days",
             "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}],
             "tool_choice":{"type":"function","name":"get_weather"}}
            """, anthropic: false);

        Assert.Equal(HttpStatusCode.OK, status);
        var events = Events(body);
        Assert.Equal(["response.created", "response.in_progress"], events.Take(2).Select(e => e.Name));
        Assert.Equal("response.completed", events[^1].Name);
        Assert.Contains(events, e => e.Name == "response.function_call_arguments.delta");
        var call = events[^1].Data.GetProperty("response").GetProperty("output").EnumerateArray().Single(o => o.GetProperty("type").GetString() == "function_call");
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.String, JsonDocument.Parse(call.GetProperty("arguments").GetString()!).RootElement.GetProperty("location").ValueKind);
        Assert.True(events[^1].Data.GetProperty("response").GetProperty("usage").GetProperty("output_tokens").GetInt64() > 0);
    }
}
