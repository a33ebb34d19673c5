using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>
/// A stand-in for api.anthropic.com on a loopback port that answers every <c>/v1/messages</c> with the status it is set
/// to, in Anthropic's error shape, and counts the calls.
/// </summary>
public sealed class FailingAnthropicServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _calls;

    public FailingAnthropicServer()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapPost("/v1/messages", async (HttpContext context) =>
        {
            Interlocked.Increment(ref _calls);
            context.Response.StatusCode = Status;
            context.Response.ContentType = "application/json";
            var type = Status == 529 ? "overloaded_error" : "api_error";
            await context.Response.WriteAsync(JsonSerializer.Serialize(new { type = "error", error = new { type, message = $"Simulated {type} from the stand-in." } }));
        });
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
    }

    public string BaseUrl { get; }

    public int Status { get; set; } = 529;

    public int Calls => Volatile.Read(ref _calls);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}

/// <summary>
/// An Anthropic provider ("claude") first in the small tier, the simulator speaking chat completions after it: when
/// Anthropic is overloaded the request falls back across protocols.
/// </summary>
public sealed class AnthropicFallbackFactory : CostConsoleFactory
{
    public AnthropicFallbackFactory() : this(new FailingAnthropicServer())
    {
    }

    private AnthropicFallbackFactory(FailingAnthropicServer anthropic) : base(Settings(anthropic.BaseUrl)) => Anthropic = anthropic;

    // Configured lists replace the defaults whole, so both providers and every model are given in full.
    private static Dictionary<string, string?> Settings(string anthropicUrl)
    {
        var settings = new Dictionary<string, string?>
        {
            ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
            ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
            ["CostConsole:Catalogue:Providers:1:Name"] = "claude",
            ["CostConsole:Catalogue:Providers:1:BaseUrl"] = anthropicUrl,
            ["CostConsole:Catalogue:Providers:1:Protocol"] = "anthropic",
            ["CostConsole:Catalogue:Providers:1:ApiKey"] = "sk-ant-test",
            ["CostConsole:Catalogue:Providers:1:MaxRetries"] = "0",
            ["CostConsole:Catalogue:TierMapping:small:0"] = "claude/claude-haiku-4-5",
            ["CostConsole:Catalogue:TierMapping:small:1"] = "simulator/gpt-4.1-nano",
            ["CostConsole:Catalogue:TierMapping:medium:0"] = "simulator/gpt-4.1-mini",
            ["CostConsole:Catalogue:TierMapping:large:0"] = "simulator/gpt-4.1",
        };
        var models = new[]
        {
            ("claude-haiku-4-5", "claude", "small", "1.00", "5.00"), ("gpt-4.1-nano", "simulator", "small", "0.10", "0.40"),
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

    public FailingAnthropicServer Anthropic { get; }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await Anthropic.DisposeAsync();
    }
}

public sealed class AnthropicFallbackTests(AnthropicFallbackFactory factory) : IClassFixture<AnthropicFallbackFactory>
{
    private static readonly object Faq = new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order? Tracking please." } } };

    [Theory]
    [InlineData(529, false)]
    [InlineData(500, false)]
    [InlineData(529, true)]
    public async Task An_overloaded_or_failing_anthropic_provider_falls_back_to_the_chat_completions_provider(int status, bool stream)
    {
        factory.Services.GetRequiredService<CostConsole.Routing.Providers.DeploymentResilience>().Reset();
        factory.Anthropic.Status = status;
        var callsBefore = factory.Anthropic.Calls;
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync(
            "/v1/chat/completions",
            stream ? new { model = "auto", stream = true, messages = new[] { new { role = "user", content = "Where is my order? Tracking please." } } } : Faq,
            TestContext.Current.CancellationToken);
        await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-nano", response.Headers.GetValues("x-costconsole-model").Single());
        if (!stream)
        {
            // A stream's headers leave before its outcome is known; the ledger has the fallback either way.
            Assert.Equal("1", response.Headers.GetValues("x-costconsole-fallbacks").Single());
        }

        Assert.Equal(1, factory.Anthropic.Calls - callsBefore);
        var requestId = response.Headers.GetValues("x-costconsole-request-id").Single();
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);
        Assert.Equal((0, 1, "simulator"), (row.Status, row.Fallbacks, row.Provider));
        using var attempts = JsonDocument.Parse(row.AttemptsJson!);
        var steps = attempts.RootElement.EnumerateArray().Select(a => (a.GetProperty("model").GetString(), a.GetProperty("status").GetInt32())).ToList();
        Assert.Equal([("claude/claude-haiku-4-5", status), ("simulator/gpt-4.1-nano", 200)], steps);
    }
}
