using System.Net;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Tests.Compatibility;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Catalogue;

/// <summary>"Test connection" (the simulator takes the test key too, as a real provider takes its own) asks each provider for its models in the protocol the provider is set to speak.</summary>
public sealed class ProviderProbeTests(CompatibilityFactory factory) : IClassFixture<CompatibilityFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private CatalogueService Catalogue => factory.Services.GetRequiredService<CatalogueService>();

    private IEnumerable<string> SimulatedModels => factory.Simulator.Models.Select(m => m.Id).Order(StringComparer.Ordinal);

    [Fact]
    public async Task An_anthropic_provider_lists_its_models_the_anthropic_way()
    {
        var probe = await Catalogue.TestConnectionAsync(new ProviderForm { Name = "claude", BaseUrl = "/sim/v1", Protocol = ProviderProtocols.Anthropic, TimeoutSeconds = 10 }, Cancel);

        Assert.True(probe.Reached, probe.Error);
        Assert.Equal(SimulatedModels, probe.Models);
    }

    [Fact]
    public async Task A_chat_provider_still_lists_its_models_through_the_openai_client()
    {
        var probe = await Catalogue.TestConnectionAsync(new ProviderForm { Name = "openai-like", BaseUrl = "/sim/v1", Protocol = ProviderProtocols.Chat, TimeoutSeconds = 10 }, Cancel);

        Assert.True(probe.Reached, probe.Error);
        Assert.Equal(SimulatedModels, probe.Models);
    }

    [Fact]
    public async Task An_anthropic_provider_that_refuses_the_key_says_so()
    {
        var url = new Uri(factory.BaseAddress, "/sim/v1").ToString();

        var probe = await Catalogue.TestConnectionAsync(
            new ProviderForm { Name = "claude", BaseUrl = url, Protocol = ProviderProtocols.Anthropic, NewApiKey = "sk-ant-wrong", TimeoutSeconds = 10 }, Cancel);

        Assert.False(probe.Reached);
        Assert.Empty(probe.Models);
        Assert.StartsWith("The provider answered with an error:", probe.Error, StringComparison.Ordinal);
        Assert.Contains("401", probe.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_simulator_answers_anthropic_clients_with_anthropics_model_list()
    {
        using var client = factory.CreateApiClient(key: null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/sim/v1/models");
        request.Headers.Add("x-api-key", CostConsoleFactory.ApiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        using var response = await client.SendAsync(request, Cancel);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
        var root = json.RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.False(root.GetProperty("has_more").GetBoolean());
        var first = root.GetProperty("data")[0];
        Assert.Equal("model", first.GetProperty("type").GetString());
        Assert.True(DateTimeOffset.TryParse(first.GetProperty("created_at").GetString(), out _));
        Assert.Equal(first.GetProperty("id").GetString(), root.GetProperty("first_id").GetString());
        Assert.Equal(SimulatedModels, root.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).Order(StringComparer.Ordinal));
    }
}
