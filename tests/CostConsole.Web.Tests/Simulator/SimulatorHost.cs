using System.ClientModel;
using System.ClientModel.Primitives;
using CostConsole.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenAI;
using OpenAI.Chat;

namespace CostConsole.Web.Tests.Simulator;

/// <summary>A minimal app hosting only the simulator on a free loopback port, reached over real HTTP.</summary>
internal sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SimulatorHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
        Http = new HttpClient { BaseAddress = baseAddress };
    }

    public Uri BaseAddress { get; }

    public Uri SimulatorEndpoint => new(BaseAddress, "/sim/v1");

    public HttpClient Http { get; }

    public SimulatorSettings Settings => _app.Services.GetRequiredService<SimulatorSettings>();

    /// <summary>Starts with instant answers; <paramref name="configuration"/> adds or overrides <c>CostConsole:Simulator</c> keys.</summary>
    public static async Task<SimulatorHost> StartAsync(IDictionary<string, string?>? configuration = null)
    {
        // Development: the simulator alone takes any key there, as the tests' clients send.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Microsoft.Extensions.Hosting.Environments.Development });
        builder.Logging.ClearProviders();
        // Only what the test says: the console's own appsettings.json sits in the test output folder too.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["CostConsole:Simulator:LatencyScale"] = "0" });
        // After the clear, which would otherwise drop it and leave every host on port 5000.
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (configuration is not null)
        {
            builder.Configuration.AddInMemoryCollection(configuration);
        }

        builder.AddSimulator();
        var app = builder.Build();
        app.MapSimulatorApi();
        try
        {
            await app.StartAsync(TestContext.Current.CancellationToken);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        return new SimulatorHost(app, new Uri(address));
    }

    /// <summary>The official OpenAI client pointed at the simulator, with any key and no retries so faults surface at once.</summary>
    public ChatClient ChatClient(string model) =>
        new(model, new ApiKeyCredential("sk-anything"), new OpenAIClientOptions
        {
            Endpoint = SimulatorEndpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        });

    public void UpdateModel(string id, Func<SimulatedModelProfile, SimulatedModelProfile> change) =>
        Settings.Update(change(Settings.Find(id)!));

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
