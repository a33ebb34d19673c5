using System.ClientModel;
using System.Net;
using CostConsole.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace CostConsole.Web.Tests.Simulator;

/// <summary>The simulator served on its own (the <c>simulator</c> command), as any OpenAI client meets it.</summary>
public sealed class SimulatorServerTests : IAsyncLifetime
{
    private const string Key = "sim-test-key-0123456789";

    private WebApplication _app = null!;

    private Uri _root = null!;

    public async ValueTask InitializeAsync()
    {
        _app = SimulatorServer.Build(Key, ["--urls", "http://127.0.0.1:0", "--CostConsole:Simulator:LatencyScale=0"]);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        _root = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private OpenAIClientOptions Options => new() { Endpoint = new Uri(_root, "/v1") };

    [Fact]
    public async Task The_official_client_chats_and_embeds_against_it_with_its_key()
    {
        var ct = TestContext.Current.CancellationToken;
        var chat = new ChatClient("gpt-4.1-nano", new ApiKeyCredential(Key), Options);
        var embeddings = new EmbeddingClient("text-embedding-3-small", new ApiKeyCredential(Key), Options);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("Where is my order 1234?")], cancellationToken: ct);
        OpenAIEmbedding embedding = await embeddings.GenerateEmbeddingAsync("Where is my order?", cancellationToken: ct);

        Assert.Equal("gpt-4.1-nano", completion.Model);
        Assert.False(string.IsNullOrWhiteSpace(completion.Content[0].Text));
        Assert.True(completion.Usage.OutputTokenCount > 0);
        Assert.Equal(SimulatedEmbeddings.Dimensions, embedding.ToFloats().Length);
    }

    [Fact]
    public async Task Without_its_key_every_call_is_refused_as_the_client_expects()
    {
        var chat = new ChatClient("gpt-4.1-nano", new ApiKeyCredential("not-the-key"), Options);

        var refused = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")], cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal(401, refused.Status);
    }

    [Fact]
    public async Task It_answers_at_v1_only_and_serves_nothing_of_the_console()
    {
        var ct = TestContext.Current.CancellationToken;
        using var http = new HttpClient { BaseAddress = _root };
        http.DefaultRequestHeaders.Authorization = new("Bearer", Key);

        using var models = await http.GetAsync("/v1/models", ct);
        using var embedded = await http.GetAsync("/sim/v1/models", ct);
        using var console = await http.GetAsync("/", ct);

        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
        Assert.Contains("gpt-4.1-nano", await models.Content.ReadAsStringAsync(ct), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, embedded.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, console.StatusCode);
    }
}
