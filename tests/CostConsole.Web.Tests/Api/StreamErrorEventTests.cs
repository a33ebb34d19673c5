using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>
/// A provider that speaks the client's API and fails while streaming: its own error event reaches the client as it
/// sent it, with nothing of the console's after it, and the ledger row is closed as failed with the usage so far.
/// </summary>
public sealed class PassthroughStreamErrorTests(PassthroughFactory factory) : IClassFixture<PassthroughFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_responses_stream_ends_with_the_providers_own_response_failed_and_the_ledger_has_its_usage()
    {
        await using var failing = StreamErrors.On(factory);
        using var client = factory.CreateApiClient();

        // Pinned to one model, nothing is held back: the client has events when the provider fails.
        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "simulator/gpt-4.1-nano", input = StreamErrors.LongPrompt, store = false, stream = true }, Cancel);
        var events = PassthroughTests.Events(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("resp_sim_", events[0].Data.GetProperty("response").GetProperty("id").GetString());
        Assert.Equal("response.failed", events[^1].Name);
        Assert.Single(events, e => e.Name is "response.failed" or "error");
        var failed = events[^1].Data.GetProperty("response");
        Assert.StartsWith("resp_sim_", failed.GetProperty("id").GetString());
        Assert.Equal(("server_error", true), (failed.GetProperty("error").GetProperty("code").GetString(), failed.GetProperty("error").GetProperty("message").GetString()!.Contains("StreamErrorRate", StringComparison.Ordinal)));
        var usage = failed.GetProperty("usage");
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal(("responses", 1, 502), (row.Protocol, row.Status, row.HttpStatus));
        Assert.Equal((usage.GetProperty("input_tokens").GetInt64(), usage.GetProperty("output_tokens").GetInt64()), (row.PromptTokens, row.CompletionTokens));
        Assert.True(row.CompletionTokens > 0 && row.CostNanoUsd > 0);
        Assert.Contains("StreamErrorRate", row.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_messages_stream_ends_with_the_providers_own_error_event_and_is_recorded_as_failed()
    {
        await using var failing = StreamErrors.On(factory);
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        using var response = await client.PostAsJsonAsync("/v1/messages", new { model = "simulator/gpt-4.1-nano", max_tokens = 400, stream = true, messages = new[] { new { role = "user", content = StreamErrors.LongPrompt } } }, Cancel);
        var events = PassthroughTests.Events(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("msg_sim_", events[0].Data.GetProperty("message").GetProperty("id").GetString());
        Assert.Contains(events, e => e.Name == "content_block_delta");
        Assert.Equal("error", events[^1].Name);
        Assert.Single(events, e => e.Name == "error");
        var error = events[^1].Data;
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Contains("StreamErrorRate", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        // The provider's words, not the console's wrapping of them.
        Assert.DoesNotContain("broke off mid-way", error.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal(("messages", 1, 502), (row.Protocol, row.Status, row.HttpStatus));
        Assert.Equal(events[0].Data.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64(), row.PromptTokens);
        Assert.True(row.CompletionTokens > 0);
    }
}

/// <summary>A chat-only provider that fails while streaming: the client gets its own protocol's error event, with the provider's message in it.</summary>
public sealed class TranslatedStreamErrorTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_responses_client_gets_response_failed_with_the_providers_message()
    {
        await using var failing = StreamErrors.On(factory);
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "simulator/gpt-4.1-nano", input = StreamErrors.LongPrompt, store = false, stream = true }, Cancel);
        var events = PassthroughTests.Events(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Contains(events, e => e.Name == "response.output_text.delta");
        Assert.Equal("response.failed", events[^1].Name);
        Assert.DoesNotContain(events, e => e.Name == "response.completed");
        var error = events[^1].Data.GetProperty("response").GetProperty("error");
        Assert.Contains("StreamErrorRate", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal(("responses", 1, 502), (row.Protocol, row.Status, row.HttpStatus));
        Assert.True(row.CompletionTokens > 0);
    }

    [Fact]
    public async Task A_messages_client_gets_an_anthropic_error_event_with_the_providers_message()
    {
        await using var failing = StreamErrors.On(factory);
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        using var response = await client.PostAsJsonAsync("/v1/messages", new { model = "simulator/gpt-4.1-nano", max_tokens = 400, stream = true, messages = new[] { new { role = "user", content = StreamErrors.LongPrompt } } }, Cancel);
        var events = PassthroughTests.Events(await response.Content.ReadAsStringAsync(Cancel));

        Assert.Contains(events, e => e.Name == "content_block_delta");
        Assert.Equal("error", events[^1].Name);
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
        Assert.Equal("api_error", events[^1].Data.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("StreamErrorRate", events[^1].Data.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal(("messages", 1, 502), (row.Protocol, row.Status, row.HttpStatus));
    }

    [Fact]
    public async Task A_chat_completions_client_gets_one_error_with_the_providers_message()
    {
        await using var failing = StreamErrors.On(factory);
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "simulator/gpt-4.1-nano", stream = true, messages = new[] { new { role = "user", content = StreamErrors.LongPrompt } } }, Cancel);
        var events = PassthroughTests.Events(await response.Content.ReadAsStringAsync(Cancel));

        var errors = events.Where(e => e.Data.TryGetProperty("error", out _)).ToList();
        var error = Assert.Single(errors).Data.GetProperty("error");
        Assert.Equal("upstream_stream_broken", error.GetProperty("code").GetString());
        Assert.Contains("StreamErrorRate", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal((1, 502), (row.Status, row.HttpStatus));
    }
}

/// <summary>Turns the simulator's mid-stream error on for <c>gpt-4.1-nano</c> until disposed.</summary>
internal sealed class StreamErrors : IAsyncDisposable
{
    /// <summary>Asks for a long answer, so the provider fails after some of it has reached the client.</summary>
    public const string LongPrompt =
        "Analyze our churn over the last two quarters and explain why it rose after the March pricing change. Compare the Team and Business plans, "
        + "calculate the revenue impact of moving 20% of Team customers up, and forecast next quarter under both scenarios. Then give me a step by step plan.";

    private readonly CostConsoleFactory _factory;
    private readonly CostConsole.Simulator.SimulatedModelProfile _profile;

    private StreamErrors(CostConsoleFactory factory)
    {
        _factory = factory;
        _profile = factory.Simulator.Find("gpt-4.1-nano")!;
        factory.Simulator.Update(_profile with { StreamErrorRate = 1 });
    }

    public static StreamErrors On(CostConsoleFactory factory) => new(factory);

    public ValueTask DisposeAsync()
    {
        _factory.Simulator.Update(_profile);
        _factory.Services.GetRequiredService<CostConsole.Routing.Providers.DeploymentResilience>().Reset();
        return ValueTask.CompletedTask;
    }
}
