using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Catalogue;
using CostConsole.Simulator;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>The answer is the one the client asked for: nothing the router asked for on its own account leaks into it.</summary>
public sealed class ProtocolFidelityTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // The small tier's default confidence gate reads logprobs, so the router asks the simulator for them.
    private static object Ask(bool stream, bool? logprobs = null) => logprobs is null
        ? new { model = "small", stream, messages = new[] { new { role = "user", content = "Where is my order? Tracking please." } } }
        : new { model = "small", stream, logprobs, messages = new[] { new { role = "user", content = "Where is my order? Tracking please." } } };

    private static IEnumerable<JsonElement> Choices(JsonElement chunk) =>
        chunk.TryGetProperty("choices", out var choices) ? choices.EnumerateArray() : [];

    private static bool HasLogprobs(JsonElement choice) =>
        choice.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind != JsonValueKind.Null;

    private async Task<List<JsonElement>> StreamAsync(object body)
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions", body, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return [.. text.Split('\n')
            .Where(line => line.StartsWith("data: {", StringComparison.Ordinal))
            .Select(line => JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone())];
    }

    [Fact]
    public async Task An_answer_carries_no_logprobs_the_client_did_not_ask_for()
    {
        using var client = factory.CreateApiClient();

        using var plain = await client.PostAsJsonAsync("/v1/chat/completions", Ask(stream: false), Cancel);
        using var asked = await client.PostAsJsonAsync("/v1/chat/completions", Ask(stream: false, logprobs: true), Cancel);

        using var plainBody = JsonDocument.Parse(await plain.Content.ReadAsStringAsync(Cancel));
        using var askedBody = JsonDocument.Parse(await asked.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("small", plain.Headers.GetValues("x-costconsole-tier").Single());
        Assert.False(HasLogprobs(Choices(plainBody.RootElement).Single()));
        Assert.False(string.IsNullOrEmpty(Choices(plainBody.RootElement).Single().GetProperty("message").GetProperty("content").GetString()));
        Assert.True(HasLogprobs(Choices(askedBody.RootElement).Single()));
    }

    [Fact]
    public async Task No_stream_chunk_carries_logprobs_the_client_did_not_ask_for()
    {
        var plain = await StreamAsync(Ask(stream: true));
        var asked = await StreamAsync(Ask(stream: true, logprobs: true));

        Assert.NotEmpty(plain);
        Assert.DoesNotContain(plain.SelectMany(Choices), HasLogprobs);
        Assert.Contains(asked.SelectMany(Choices), HasLogprobs);
    }
}

/// <summary>A catalogue with no in-process provider has no simulator to reach.</summary>
public sealed class SimulatorOffTests : IAsyncLifetime
{
    private readonly CostConsoleFactory _factory = new();

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _factory.DisposeAsync();

    [Fact]
    public async Task The_simulator_answers_404_once_no_provider_uses_it()
    {
        var key = _factory.Services.GetRequiredService<SimulatorAccess>().ProcessKey;
        using var client = _factory.CreateApiClient(key);
        using (var before = await client.GetAsync("/sim/v1/models", TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await using (var scope = _factory.Services.CreateAsyncScope())
        {
            var catalogue = scope.ServiceProvider.GetRequiredService<CatalogueService>();
            var simulator = (await catalogue.ProvidersAsync(TestContext.Current.CancellationToken)).Single(p => p.BaseUrl == "/sim/v1");
            var saved = await catalogue.SaveProviderAsync(
                new ProviderForm { Id = simulator.Id, Name = simulator.Name, BaseUrl = "http://127.0.0.1:9/v1", TimeoutSeconds = 5, ConcurrencyStamp = simulator.ConcurrencyStamp },
                TestContext.Current.CancellationToken);
            Assert.True(saved.Saved, saved.Summary);
        }

        using var after = await client.GetAsync("/sim/v1/models", TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
        using var body = JsonDocument.Parse(await after.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal("not_found", body.RootElement.GetProperty("error").GetProperty("code").GetString());
    }
}
