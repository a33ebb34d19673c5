using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CostConsole.Data.Entities;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using CostConsole.Simulator;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Tests.Simulator;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>
/// Tool calls and structured output through <c>/v1</c> with the simulator behind it and the default quality gates:
/// what the model sends reaches the client unchanged, and the gates judge it by what it is.
/// </summary>
public sealed class StructuredOutputTests : IClassFixture<CostConsoleFactory>, IAsyncLifetime
{
    private const string Hard =
        "Analyze the root cause of the churn in our enterprise segment, compare the retention strategy options and their trade-offs, "
        + "forecast the revenue impact step by step and recommend an action plan.";

    private const string AnswerSchema =
        """
        {"type":"object","properties":{"answer":{"type":"string"},"category":{"type":"string","enum":["billing","shipping","account","other"]},
         "follow_up":{"type":"boolean"}},"required":["answer","category","follow_up"],"additionalProperties":false}
        """;

    private readonly CostConsoleFactory _factory;
    private readonly List<SimulatedModelProfile> _original;

    public StructuredOutputTests(CostConsoleFactory factory)
    {
        _factory = factory;
        _original = [.. factory.Simulator.Models];
        factory.Services.GetRequiredService<DeploymentResilience>().Reset();
    }

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var profile in _original)
        {
            _factory.Simulator.Update(profile);
        }

        await PublishAsync(CostConsole.Data.Catalogue.DefaultRuleSet.DefaultEscalation());
    }

    [Fact]
    public async Task A_json_schema_request_whose_answer_validates_stays_on_its_routed_tier_and_is_not_flagged()
    {
        var (response, row) = await SendAsync(Ask("small", "Where is my order? Tracking for the shipping please.", JsonSchema()));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-nano", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.False(response.Headers.Contains("x-costconsole-escalations"));
        Assert.False(response.Headers.Contains("x-costconsole-review"));
        Assert.Equal((0, (int)ReviewState.None, "small"), (row.Escalations, row.Review, row.Tier));
        var content = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.Null(JsonAnswer.Problem(content, AnswerSchema));
        Assert.Equal("shipping", JsonDocument.Parse(content).RootElement.GetProperty("category").GetString());
        var json = Gates(row)[0].Single(g => g.GetProperty("gate").GetString() == "json");
        Assert.True(json.GetProperty("passed").GetBoolean());
        Assert.Equal("valid JSON matching the schema", json.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_streamed_json_schema_answer_that_validates_stays_on_its_tier_and_arrives_whole()
    {
        var (response, row) = await SendAsync(Ask("small", "How do I reset my password?", JsonSchema(), stream: true));

        var content = string.Concat(Events(await response.Content.ReadAsStringAsync(Cancellation))
            .SelectMany(e => e.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : ""));

        Assert.Equal("gpt-4.1-nano", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal((0, (int)ReviewState.None), (row.Escalations, row.Review));
        Assert.Null(JsonAnswer.Problem(content, AnswerSchema));
    }

    [Fact]
    public async Task A_json_schema_answer_that_does_not_validate_escalates_until_one_does()
    {
        // Only the JSON gate, and a small model far out of its depth, which now and then breaks the format.
        await PublishAsync(new EscalationPolicy { MaxEscalations = 2, Tiers = [new TierGates { Tier = "small" }, new TierGates { Tier = "medium" }] });
        _factory.Simulator.Update(_factory.Simulator.Find("gpt-4.1-nano")! with { Capability = 0 });

        var rows = new List<RequestLogRow>();
        for (var i = 0; i < 6; i++)
        {
            var (response, row) = await SendAsync(Ask("small", Hard + $" (case {i})", JsonSchema()));
            var content = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation))
                .GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
            Assert.Null(JsonAnswer.Problem(content, AnswerSchema));
            rows.Add(row);
        }

        var broken = rows.Where(r => !Gates(r)[0].Single(g => g.GetProperty("gate").GetString() == "json").GetProperty("passed").GetBoolean()).ToList();
        Assert.NotEmpty(broken);
        Assert.All(broken, row =>
        {
            Assert.InRange(row.Escalations, 1, 2);
            Assert.Equal((int)ReviewState.None, row.Review);
            Assert.StartsWith("the answer is not valid JSON", Gates(row)[0].Single(g => g.GetProperty("gate").GetString() == "json").GetProperty("detail").GetString(), StringComparison.Ordinal);
        });
        Assert.All(rows.Except(broken), row => Assert.Equal(0, row.Escalations));
    }

    [Fact]
    public async Task A_forced_tool_call_passes_through_unchanged_and_stays_on_the_small_tier_though_the_question_is_hard()
    {
        var (response, row) = await SendAsync(Ask("small", Hard, Tools("required")));
        var message = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("choices")[0];

        Assert.Equal("tool_calls", message.GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("message").GetProperty("content").ValueKind);
        var call = message.GetProperty("message").GetProperty("tool_calls").EnumerateArray().Single();
        // Nothing in the question matches a tool, and one must be called: the first.
        Assert.Equal("get_weather", call.GetProperty("function").GetProperty("name").GetString());
        Assert.Null(JsonAnswer.Problem(call.GetProperty("function").GetProperty("arguments").GetString()!, SimulatorToolAndSchemaTests.WeatherParameters));

        // Text this hard would fail the small tier's confidence gate; a call has no logprobs to judge.
        Assert.Equal("gpt-4.1-nano", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal((0, (int)ReviewState.None), (row.Escalations, row.Review));
        Assert.Equal("a tool call; not checked", Gates(row)[0].Single(g => g.GetProperty("gate").GetString() == "confidence").GetProperty("detail").GetString());
        Assert.True(row.CompletionTokens > 0);
    }

    [Fact]
    public async Task A_tool_call_with_json_schema_asked_is_not_failed_by_the_json_gate()
    {
        var request = Ask("small", "Open a ticket for lee@example.com", Tools(new { type = "function", function = new { name = "create_ticket" } }));
        request["response_format"] = JsonSchema()["response_format"]!.DeepClone();

        var (response, row) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal((0, (int)ReviewState.None), (row.Escalations, row.Review));
        Assert.Equal("a tool call; not checked", Gates(row)[0].Single(g => g.GetProperty("gate").GetString() == "json").GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Streamed_tool_call_deltas_survive_the_relay_with_their_index_id_and_arguments_then_usage()
    {
        var request = Ask("small", "Open a support ticket for ann@example.com, it is urgent", Tools("auto"), stream: true);
        request["stream_options"] = new JsonObject { ["include_usage"] = true };

        var (response, row) = await SendAsync(request);
        var events = Events(await response.Content.ReadAsStringAsync(Cancellation));

        var deltas = events.SelectMany(e => e.GetProperty("choices").EnumerateArray())
            .Where(c => c.GetProperty("delta").TryGetProperty("tool_calls", out _))
            .SelectMany(c => c.GetProperty("delta").GetProperty("tool_calls").EnumerateArray())
            .ToList();
        Assert.True(deltas.Count > 2);
        Assert.All(deltas, d => Assert.Equal(0, d.GetProperty("index").GetInt32()));
        Assert.StartsWith("call_", deltas[0].GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("create_ticket", deltas[0].GetProperty("function").GetProperty("name").GetString());
        var arguments = string.Concat(deltas.Select(d => d.GetProperty("function").GetProperty("arguments").GetString()));
        Assert.Null(JsonAnswer.Problem(arguments, SimulatorToolAndSchemaTests.TicketParameters));
        Assert.Contains("\"customer_email\":\"ann@example.com\"", arguments, StringComparison.Ordinal);

        var finish = events.SelectMany(e => e.GetProperty("choices").EnumerateArray())
            .Select(c => c.GetProperty("finish_reason")).Single(f => f.ValueKind == JsonValueKind.String);
        Assert.Equal("tool_calls", finish.GetString());
        var usage = events.Last().GetProperty("usage");
        Assert.Equal(row.CompletionTokens, usage.GetProperty("completion_tokens").GetInt64());
        Assert.Equal((0, "gpt-4.1-nano"), (row.Escalations, response.Headers.GetValues("x-costconsole-model").Single()));
    }

    [Fact]
    public async Task A_follow_up_turn_with_the_tool_result_gets_a_text_answer()
    {
        var request = Ask("small", "What is the weather in Paris?", Tools("auto"));
        var (first, _) = await SendAsync(request);
        var call = (await first.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("choices")[0].GetProperty("message");
        var id = call.GetProperty("tool_calls")[0].GetProperty("id").GetString();

        var messages = request["messages"]!.AsArray();
        messages.Add(JsonNode.Parse(call.GetRawText()));
        messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = id, ["content"] = "{\"temperature\":18,\"sky\":\"cloudy\"}" });
        var (second, _) = await SendAsync(request);
        var answer = (await second.Content.ReadFromJsonAsync<JsonElement>(Cancellation)).GetProperty("choices")[0];

        Assert.Equal("get_weather", call.GetProperty("tool_calls")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("stop", answer.GetProperty("finish_reason").GetString());
        Assert.Contains("cloudy", answer.GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    private static JsonObject Ask(string model, string prompt, JsonObject? extra = null, bool stream = false)
    {
        var request = new JsonObject
        {
            ["model"] = model,
            ["stream"] = stream,
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }),
        };
        foreach (var (key, value) in extra ?? [])
        {
            request[key] = value?.DeepClone();
        }

        return request;
    }

    private static JsonObject JsonSchema() => new()
    {
        ["response_format"] = new JsonObject
        {
            ["type"] = "json_schema",
            ["json_schema"] = new JsonObject { ["name"] = "support_answer", ["strict"] = true, ["schema"] = JsonNode.Parse(AnswerSchema) },
        },
    };

    private static JsonObject Tools(object choice) => new()
    {
        ["tools"] = new JsonArray(
            Tool("get_weather", "Get the weather forecast for a city", SimulatorToolAndSchemaTests.WeatherParameters),
            Tool("create_ticket", "Open a support ticket for a customer", SimulatorToolAndSchemaTests.TicketParameters)),
        ["tool_choice"] = JsonSerializer.SerializeToNode(choice),
    };

    private static JsonObject Tool(string name, string description, string parameters) => new()
    {
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = name, ["description"] = description, ["parameters"] = JsonNode.Parse(parameters), ["strict"] = true },
    };

    private async Task<(HttpResponseMessage Response, RequestLogRow Row)> SendAsync(JsonObject body)
    {
        using var client = _factory.CreateApiClient();
        var response = await client.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Cancellation);
        await response.Content.LoadIntoBufferAsync(Cancellation);
        var id = response.Headers.GetValues("x-costconsole-request-id").Single();
        return (response, (await _factory.LedgerAsync()).Single(r => r.RequestId == id));
    }

    private static List<JsonElement> Events(string body) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement)];

    /// <summary>The gate results of each attempt, in order.</summary>
    private static List<List<JsonElement>> Gates(RequestLogRow row) =>
        [.. JsonDocument.Parse(row.AttemptsJson!).RootElement.EnumerateArray()
            .Where(a => a.TryGetProperty("gates", out var g) && g.ValueKind == JsonValueKind.Array)
            .Select(a => a.GetProperty("gates").EnumerateArray().ToList())];

    private async Task PublishAsync(EscalationPolicy escalation)
    {
        var rules = _factory.Services.GetRequiredService<RuleSetService>();
        var draft = await rules.DraftAsync("test", Cancellation);
        var saved = await rules.SaveDraftAsync(draft.Definition with { Escalation = escalation }, draft.ConcurrencyStamp, "test", Cancellation);
        Assert.True(saved.Done, saved.Summary);
        var published = await rules.PublishAsync(saved.Version!.ConcurrencyStamp, "structured output test", "test", Cancellation);
        Assert.True(published.Done, published.Summary);
    }
}
