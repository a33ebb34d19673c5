using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Providers;
using CostConsole.Simulator;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary><c>POST /v1/responses</c> over real HTTP: the same router, headers and ledger as chat completions, in the Responses API's shapes.</summary>
public sealed class ResponsesTests : IClassFixture<SmallBodyFactory>, IDisposable
{
    private const string Faq = "Where is my order? Tracking please.";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private readonly SmallBodyFactory _factory;
    private readonly List<SimulatedModelProfile> _original;
    private readonly double _latencyScale;

    public ResponsesTests(SmallBodyFactory factory)
    {
        _factory = factory;
        factory.Services.GetRequiredService<DeploymentResilience>().Reset();
        _original = [.. factory.Simulator.Models];
        _latencyScale = factory.Simulator.LatencyScale;
    }

    public void Dispose()
    {
        _factory.Simulator.LatencyScale = _latencyScale;
        foreach (var profile in _original)
        {
            _factory.Simulator.Update(profile);
        }
    }

    private void Change(string model, Func<SimulatedModelProfile, SimulatedModelProfile> change) =>
        _factory.Simulator.Update(change(_factory.Simulator.Find(model)!));

    private async Task<HttpResponseMessage> PostAsync(object body, string? key = CostConsoleFactory.ApiKey)
    {
        using var client = _factory.CreateApiClient(key);
        return await client.PostAsJsonAsync("/v1/responses", body, Cancel);
    }

    private async Task<Data.Entities.RequestLogRow> RowAsync(HttpResponseMessage response) =>
        (await _factory.LedgerAsync()).Single(r => r.RequestId == response.Headers.GetValues("x-costconsole-request-id").Single());

    /// <summary>The server-sent events of a body: each event's name and its JSON, checking the name matches the JSON's type.</summary>
    private static List<(string Type, JsonElement Data)> Events(string body)
    {
        var events = new List<(string, JsonElement)>();
        foreach (var block in body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            var data = JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone();
            Assert.Equal(lines[0]["event: ".Length..], data.GetProperty("type").GetString());
            events.Add((lines[0]["event: ".Length..], data));
        }

        return events;
    }

    [Fact]
    public async Task A_response_is_routed_like_chat_completions_and_recorded_as_a_responses_request()
    {
        using var response = await PostAsync(new { model = "auto", input = Faq, instructions = "Be brief.", metadata = new { team = "support" } });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var root = json.RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("small", response.Headers.GetValues("x-costconsole-tier").Single());
        Assert.Equal("faq-and-status", response.Headers.GetValues("x-costconsole-rule").Single());
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();
        Assert.Equal("resp_" + requestId["req_".Length..], root.GetProperty("id").GetString());
        Assert.Equal(("response", "completed", "gpt-4.1-nano"), (root.GetProperty("object").GetString(), root.GetProperty("status").GetString(), root.GetProperty("model").GetString()));
        var message = root.GetProperty("output")[0];
        Assert.Equal("message", message.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(message.GetProperty("content")[0].GetProperty("text").GetString()));
        Assert.Equal("support", root.GetProperty("metadata").GetProperty("team").GetString());
        var usage = root.GetProperty("usage");
        var row = await RowAsync(response);
        Assert.Equal(("responses", 0, "auto", false), (row.Protocol, row.Status, row.RequestedModel, row.Stream));
        Assert.Equal((row.PromptTokens, row.CompletionTokens), (usage.GetProperty("input_tokens").GetInt64(), usage.GetProperty("output_tokens").GetInt64()));
        Assert.Equal(row.PromptTokens + row.CompletionTokens, usage.GetProperty("total_tokens").GetInt64());
    }

    [Fact]
    public async Task A_streamed_response_sends_the_responses_events_in_sequence_and_ends_with_the_recorded_usage()
    {
        using var client = _factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = JsonContent.Create(new { model = "auto", input = Faq, stream = true }) };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel);
        var events = Events(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("small", response.Headers.GetValues("x-costconsole-tier").Single());
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Data.GetProperty("sequence_number").GetInt32()));
        Assert.Equal(["response.created", "response.in_progress", "response.output_item.added", "response.content_part.added"], events.Take(4).Select(e => e.Type));
        Assert.Equal(["response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"], events.TakeLast(4).Select(e => e.Type));
        var streamed = string.Concat(events.Where(e => e.Type == "response.output_text.delta").Select(e => e.Data.GetProperty("delta").GetString()));
        var completed = events[^1].Data.GetProperty("response");
        Assert.Equal(streamed, completed.GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString());
        var row = await RowAsync(response);
        Assert.Equal(("responses", 0, true), (row.Protocol, row.Status, row.Stream));
        Assert.Equal(row.CompletionTokens, completed.GetProperty("usage").GetProperty("output_tokens").GetInt64());
    }

    [Fact]
    public async Task A_function_call_goes_back_with_its_output_and_the_model_answers_from_it()
    {
        var tools = new[] { new { type = "function", name = "get_weather", description = "Get the weather for a city", parameters = new { type = "object", properties = new { location = new { type = "string" } }, required = new[] { "location" } } } };
        using var first = await PostAsync(new { model = "auto", input = "What is the weather in Paris?", tools, tool_choice = "required" });
        using var called = JsonDocument.Parse(await first.Content.ReadAsStringAsync(Cancel));
        var call = called.RootElement.GetProperty("output").EnumerateArray().Single(i => i.GetProperty("type").GetString() == "function_call");

        var input = new List<object> { new { role = "user", content = "What is the weather in Paris?" }, call, new { type = "function_call_output", call_id = call.GetProperty("call_id").GetString(), output = "sunny and 21 degrees" } };
        using var second = await PostAsync(new { model = "auto", input, tools });
        using var answered = JsonDocument.Parse(await second.Content.ReadAsStringAsync(Cancel));

        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var message = Assert.Single(answered.RootElement.GetProperty("output").EnumerateArray());
        Assert.Contains("sunny and 21 degrees", message.GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fields_that_change_nothing_are_named_in_a_header_and_without_full_prompt_storage_nothing_is_stored()
    {
        using var response = await PostAsync(new { model = "auto", input = Faq, reasoning = new { effort = "low" }, include = new[] { "reasoning.encrypted_content" } });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        using var client = _factory.CreateApiClient();
        using var fetched = await client.GetAsync($"/v1/responses/{json.RootElement.GetProperty("id").GetString()}", Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reasoning, include", response.Headers.GetValues("x-costconsole-ignored-fields").Single());
        Assert.False(json.RootElement.GetProperty("store").GetBoolean());
        Assert.Equal(HttpStatusCode.NotFound, fetched.StatusCode);
    }

    [Fact]
    public async Task Store_true_under_redacted_prompt_storage_is_refused_naming_the_policy_that_would_allow_it()
    {
        using var response = await PostAsync(new { model = "auto", input = Faq, store = true });
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var error = json.RootElement.GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("store_not_allowed", "store"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Contains("prompt storage is 'redacted'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("'full'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, int, string, string?> Refusals() => new()
    {
        { """{"model":"auto","input":"hi","previous_response_id":"resp_123"}""", 400, "previous_response_not_supported", "previous_response_id" },
        { """{"model":"auto","input":[{"type":"file_search_call","id":"fs_1"}]}""", 400, "unsupported_input_item", "input[0].type" },
        { """{"model":"auto","input":[{"role":"user","content":[{"type":"input_file","file_id":"file_1"}]}]}""", 400, "unsupported_content_type", "input[0].content[0].type" },
        { """{"model":"auto","input":[{"type":"function_call_output","call_id":"call_1","output":"42"}]}""", 400, "function_call_output_without_call", "input[0].call_id" },
        { """{"model":"gpt-17-ultra","input":"hi"}""", 404, "model_not_found", "model" },
        { """{"model":"auto","input":""", 400, "invalid_json", null },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_request_that_cannot_be_served_gets_an_openai_error_and_one_rejected_ledger_row(string body, int status, string code, string? param)
    {
        using var client = _factory.CreateApiClient();
        using var response = await client.PostAsync("/v1/responses", new StringContent(body, Encoding.UTF8, "application/json"), Cancel);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var error = json.RootElement.GetProperty("error");

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(("invalid_request_error", code), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        var row = await RowAsync(response);
        Assert.Equal(("responses", 2, status, code), (row.Protocol, row.Status, row.HttpStatus, row.ErrorCode));
        Assert.Equal(0, row.CostNanoUsd);
    }

    [Fact]
    public async Task A_body_that_is_not_utf8_gets_400_invalid_json()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"auto","input":"caf_"}""");
        body[Array.IndexOf(body, (byte)'_')] = 0xE9;
        using var client = _factory.CreateApiClient();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");

        using var response = await client.PostAsync("/v1/responses", content, Cancel);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_json", json.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(("responses", 400), ((await RowAsync(response)).Protocol, (await RowAsync(response)).HttpStatus));
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413_and_a_bad_key_gets_401()
    {
        using var huge = await PostAsync(new { model = "auto", input = new string('x', 100_000) });
        using var stranger = await PostAsync(new { model = "auto", input = "hi" }, key: "cc-not-a-key");
        using var hugeError = JsonDocument.Parse(await huge.Content.ReadAsStringAsync(Cancel));
        using var strangerError = JsonDocument.Parse(await stranger.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
        Assert.Equal("request_too_large", hugeError.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, stranger.StatusCode);
        Assert.Equal("invalid_api_key", strangerError.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(("responses", 401), ((await RowAsync(stranger)).Protocol, (await RowAsync(stranger)).HttpStatus));
    }

    [Fact]
    public async Task A_stream_cut_mid_way_ends_with_response_failed_and_is_recorded_as_failed()
    {
        Change("gpt-4.1-nano", p => p with { StreamCutRate = 1 });

        // Pinned to one model, nothing is held back: the client has events when the cut comes.
        using var client = _factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "simulator/gpt-4.1-nano", input = Faq, stream = true }, Cancel);
        var events = Events(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal("response.failed", events[^1].Type);
        Assert.DoesNotContain(events, e => e.Type == "response.completed");
        var failed = events[^1].Data.GetProperty("response");
        Assert.Equal(("failed", "upstream_stream_broken"), (failed.GetProperty("status").GetString(), failed.GetProperty("error").GetProperty("code").GetString()));
        var row = await RowAsync(response);
        Assert.Equal(("responses", 1, 502), (row.Protocol, row.Status, row.HttpStatus));
    }

    [Fact]
    public async Task A_client_that_leaves_mid_stream_leaves_one_failed_ledger_row_and_no_answered_one()
    {
        // A slow model, so the client is gone long before the answer could be complete.
        _factory.Simulator.LatencyScale = 1;
        Change("gpt-4.1-nano", p => p with { TimeToFirstTokenMs = 0, TokensPerSecond = 2, AnswerTokens = 200 });
        using var client = _factory.CreateApiClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/responses") { Content = JsonContent.Create(new { model = "simulator/gpt-4.1-nano", input = Faq, stream = true }) };
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, Cancel);
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();
        var stream = await response.Content.ReadAsStreamAsync(Cancel);
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer, Cancel);
        Assert.StartsWith("event: response.created", Encoding.UTF8.GetString(buffer, 0, read), StringComparison.Ordinal);

        response.Dispose();

        var deadline = DateTime.UtcNow.AddSeconds(30);
        List<Data.Entities.RequestLogRow> rows;
        while ((rows = (await _factory.LedgerAsync()).Where(r => r.RequestId == requestId).ToList()).Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50, Cancel);
        }

        var row = Assert.Single(rows);
        Assert.Equal(("responses", 1, 499), (row.Protocol, row.Status, row.HttpStatus));
    }
}
