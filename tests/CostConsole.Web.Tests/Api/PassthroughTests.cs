using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>The embedded simulator marked as speaking the Responses API and Anthropic Messages itself (it serves both).</summary>
public sealed class PassthroughFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
    ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
    ["CostConsole:Catalogue:Providers:0:NativeApis:0"] = "responses",
    ["CostConsole:Catalogue:Providers:0:NativeApis:1"] = "messages",
});

/// <summary>
/// Responses and Messages requests routed to a provider that speaks them are passed through over real HTTP: the
/// simulator's own answer (its ids start <c>resp_sim_</c> and <c>msg_sim_</c>; a translated answer has the console's)
/// reaches the client, and the ledger has the tokens it reported.
/// </summary>
public sealed class PassthroughTests(PassthroughFactory factory) : IClassFixture<PassthroughFactory>
{
    internal const string Faq = "Where is my order? What is the tracking number?";

    [Fact]
    public async Task A_responses_request_gets_the_providers_own_response_and_its_usage_is_in_the_ledger()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "auto", input = Faq, store = false }, TestContext.Current.CancellationToken);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("resp_sim_", body.GetProperty("id").GetString());
        Assert.Equal("completed", body.GetProperty("status").GetString());
        var usage = body.GetProperty("usage");
        var row = await LedgerRowAsync(factory, response);
        Assert.Equal((0, "responses", "simulator"), (row.Status, row.Protocol, row.Provider));
        Assert.Equal(usage.GetProperty("input_tokens").GetInt64(), row.PromptTokens);
        Assert.Equal(usage.GetProperty("output_tokens").GetInt64(), row.CompletionTokens);
        Assert.True(row.CompletionTokens > 0 && row.CostNanoUsd > 0 && row.Priced);
        Assert.True(Answered(row).GetProperty("passedThrough").GetBoolean());
    }

    [Fact]
    public async Task A_streamed_responses_request_relays_the_providers_events_and_the_ledger_has_the_completed_usage()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "auto", input = Faq, stream = true }, TestContext.Current.CancellationToken);
        var events = Events(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("response.created", events[0].Name);
        Assert.StartsWith("resp_sim_", events[0].Data.GetProperty("response").GetProperty("id").GetString());
        Assert.Contains(events, e => e.Name == "response.output_text.delta");
        Assert.Equal("response.completed", events[^1].Name);
        Assert.Single(events, e => e.Name == "response.completed");
        Assert.All(events, e => Assert.Equal(e.Name, e.Data.GetProperty("type").GetString()));
        var usage = events[^1].Data.GetProperty("response").GetProperty("usage");
        var row = await LedgerRowAsync(factory, response);
        Assert.Equal((0, true), (row.Status, row.Stream));
        Assert.Equal(usage.GetProperty("input_tokens").GetInt64(), row.PromptTokens);
        Assert.Equal(usage.GetProperty("output_tokens").GetInt64(), row.CompletionTokens);
        Assert.True(row.CompletionTokens > 0 && row.CostNanoUsd > 0);
        Assert.True(Answered(row).GetProperty("passedThrough").GetBoolean());
    }

    [Fact]
    public async Task A_messages_request_gets_the_providers_own_message_and_its_usage_is_in_the_ledger()
    {
        using var client = MessagesClient();

        using var response = await client.PostAsJsonAsync("/v1/messages", new { model = "auto", max_tokens = 200, messages = new[] { new { role = "user", content = Faq } } }, TestContext.Current.CancellationToken);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("msg_sim_", body.GetProperty("id").GetString());
        Assert.Equal("message", body.GetProperty("type").GetString());
        var usage = body.GetProperty("usage");
        var row = await LedgerRowAsync(factory, response);
        Assert.Equal((0, "messages"), (row.Status, row.Protocol));
        Assert.Equal(usage.GetProperty("input_tokens").GetInt64(), row.PromptTokens);
        Assert.Equal(usage.GetProperty("output_tokens").GetInt64(), row.CompletionTokens);
        Assert.True(row.CompletionTokens > 0 && row.CostNanoUsd > 0);
        Assert.True(Answered(row).GetProperty("passedThrough").GetBoolean());
    }

    [Fact]
    public async Task A_streamed_messages_request_relays_the_providers_events_and_the_ledger_has_their_usage()
    {
        using var client = MessagesClient();

        using var response = await client.PostAsJsonAsync("/v1/messages", new { model = "auto", max_tokens = 200, stream = true, messages = new[] { new { role = "user", content = Faq } } }, TestContext.Current.CancellationToken);
        var events = Events(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("message_start", events[0].Name);
        Assert.StartsWith("msg_sim_", events[0].Data.GetProperty("message").GetProperty("id").GetString());
        Assert.Contains(events, e => e.Name == "content_block_delta");
        Assert.Equal("message_stop", events[^1].Name);
        Assert.Single(events, e => e.Name == "message_stop");
        var input = events[0].Data.GetProperty("message").GetProperty("usage").GetProperty("input_tokens").GetInt64();
        var output = events.Last(e => e.Name == "message_delta").Data.GetProperty("usage").GetProperty("output_tokens").GetInt64();
        var row = await LedgerRowAsync(factory, response);
        Assert.Equal((0, true), (row.Status, row.Stream));
        Assert.Equal((input, output), (row.PromptTokens, row.CompletionTokens));
        Assert.True(output > 0 && row.CostNanoUsd > 0);
        Assert.True(Answered(row).GetProperty("passedThrough").GetBoolean());
    }

    [Fact]
    public async Task A_chat_completions_request_to_the_same_provider_is_answered_as_before()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = Faq } } }, TestContext.Current.CancellationToken);
        var body = await JsonAsync(response);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.False(body.TryGetProperty("costconsole_passthrough", out _));
        Assert.False(Answered(await LedgerRowAsync(factory, response)).GetProperty("passedThrough").GetBoolean());
    }

    private HttpClient MessagesClient()
    {
        var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");
        return client;
    }

    internal static JsonElement Answered(Data.Entities.RequestLogRow row)
    {
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        return attempts.RootElement.EnumerateArray().Last(a => a.GetProperty("status").GetInt32() == 200).Clone();
    }

    internal static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.Clone();

    /// <summary>Each server-sent event's name and data.</summary>
    internal static List<(string Name, JsonElement Data)> Events(string text) =>
        [.. text.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Where(lines => lines.Any(l => l.StartsWith("data: ", StringComparison.Ordinal)))
            .Select(lines => (
                lines.FirstOrDefault(l => l.StartsWith("event: ", StringComparison.Ordinal))?[7..] ?? "",
                JsonDocument.Parse(lines.First(l => l.StartsWith("data: ", StringComparison.Ordinal))[6..]).RootElement.Clone()))];

    internal static async Task<Data.Entities.RequestLogRow> LedgerRowAsync(CostConsoleFactory factory, HttpResponseMessage response)
    {
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var row = (await factory.LedgerAsync()).SingleOrDefault(r => r.RequestId == requestId);
            if (row is not null || DateTime.UtcNow > deadline)
            {
                return row ?? throw new Xunit.Sdk.XunitException($"No ledger row for {requestId}.");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }
}

/// <summary>
/// A stand-in for a Responses provider on a loopback port that fails every <c>/v1/responses</c> with the status it is
/// set to, and keeps the last body it was sent.
/// </summary>
public sealed class FailingResponsesServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    public FailingResponsesServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/responses", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            LastBody = await reader.ReadToEndAsync();
            Interlocked.Increment(ref _calls);
            context.Response.StatusCode = 500;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new { error = new { type = "server_error", message = "Simulated failure from the stand-in." } }));
        });
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1";
    }

    public string BaseUrl { get; }

    public string? LastBody { get; private set; }

    public int Calls => Volatile.Read(ref _calls);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>A provider ("edge") that speaks the Responses API first in the small tier, the simulator speaking only chat completions after it.</summary>
public sealed class PassthroughFallbackFactory : CostConsoleFactory
{
    public PassthroughFallbackFactory() : this(new FailingResponsesServer())
    {
    }

    private PassthroughFallbackFactory(FailingResponsesServer edge) : base(Settings(edge.BaseUrl)) => Edge = edge;

    public FailingResponsesServer Edge { get; }

    private static Dictionary<string, string?> Settings(string edgeUrl)
    {
        var settings = new Dictionary<string, string?>
        {
            ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
            ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
            ["CostConsole:Catalogue:Providers:1:Name"] = "edge",
            ["CostConsole:Catalogue:Providers:1:BaseUrl"] = edgeUrl,
            ["CostConsole:Catalogue:Providers:1:ApiKey"] = "sk-edge-test",
            ["CostConsole:Catalogue:Providers:1:MaxRetries"] = "0",
            ["CostConsole:Catalogue:Providers:1:NativeApis:0"] = "responses",
            ["CostConsole:Catalogue:TierMapping:small:0"] = "edge/edge-small",
            ["CostConsole:Catalogue:TierMapping:small:1"] = "simulator/gpt-4.1-nano",
            ["CostConsole:Catalogue:TierMapping:medium:0"] = "simulator/gpt-4.1-mini",
            ["CostConsole:Catalogue:TierMapping:large:0"] = "simulator/gpt-4.1",
        };
        var models = new[]
        {
            ("edge-small", "edge", "small", "0.20", "0.80"), ("gpt-4.1-nano", "simulator", "small", "0.10", "0.40"),
            ("gpt-4.1-mini", "simulator", "medium", "0.40", "1.60"), ("gpt-4.1", "simulator", "large", "2.00", "8.00"),
        };
        for (var i = 0; i < models.Length; i++)
        {
            var (id, provider, tier, input, output) = models[i];
            settings[$"CostConsole:Catalogue:Models:{i}:Id"] = id;
            settings[$"CostConsole:Catalogue:Models:{i}:Provider"] = provider;
            settings[$"CostConsole:Catalogue:Models:{i}:Tier"] = tier;
            settings[$"CostConsole:Catalogue:Models:{i}:InputPerMillion"] = input;
            settings[$"CostConsole:Catalogue:Models:{i}:OutputPerMillion"] = output;
        }

        return settings;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Edge.DisposeAsync();
    }
}

/// <summary>A failing passthrough provider falls back to a chat-only one, whose answer is translated into the client's API.</summary>
public sealed class PassthroughFallbackTests(PassthroughFallbackFactory factory) : IClassFixture<PassthroughFallbackFactory>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failing_responses_provider_falls_back_to_the_chat_provider_and_the_answer_is_translated(bool stream)
    {
        factory.Services.GetRequiredService<CostConsole.Routing.Providers.DeploymentResilience>().Reset();
        var callsBefore = factory.Edge.Calls;
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "auto", input = PassthroughTests.Faq, stream, metadata = new { ticket = "T-1" } }, TestContext.Current.CancellationToken);
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-nano", response.Headers.GetValues("x-costconsole-model").Single());
        Assert.Equal(1, factory.Edge.Calls - callsBefore);
        // The provider was sent the client's body with only the model changed.
        using (var sent = JsonDocument.Parse(factory.Edge.LastBody!))
        {
            Assert.Equal("edge-small", sent.RootElement.GetProperty("model").GetString());
            Assert.Equal(PassthroughTests.Faq, sent.RootElement.GetProperty("input").GetString());
            Assert.Equal("T-1", sent.RootElement.GetProperty("metadata").GetProperty("ticket").GetString());
            Assert.Equal(stream, sent.RootElement.GetProperty("stream").GetBoolean());
        }

        var id = stream
            ? PassthroughTests.Events(text)[0].Data.GetProperty("response").GetProperty("id").GetString()
            : JsonDocument.Parse(text).RootElement.GetProperty("id").GetString();
        Assert.StartsWith("resp_", id);
        Assert.DoesNotContain("sim", id, StringComparison.Ordinal);
        var row = await PassthroughTests.LedgerRowAsync(factory, response);
        Assert.Equal((0, 1, "simulator"), (row.Status, row.Fallbacks, row.Provider));
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        var steps = attempts.RootElement.EnumerateArray().Select(a => (a.GetProperty("model").GetString(), a.GetProperty("status").GetInt32(), a.GetProperty("passedThrough").GetBoolean())).ToList();
        Assert.Equal([("edge/edge-small", 500, false), ("simulator/gpt-4.1-nano", 200, false)], steps);
        Assert.True(row.CompletionTokens > 0);
    }
}
