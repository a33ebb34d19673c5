namespace CostConsole.Simulator;

/// <summary>
/// The simulator served on its own, as an OpenAI-compatible service at <c>/v1</c> (chat completions, embeddings,
/// models): an upstream for another CostConsole, a load test or any OpenAI client, with no model and no cost. Every
/// call to <c>/v1</c> needs the key it was started with, sent as a bearer token; <c>/health</c> is open.
/// </summary>
public static class SimulatorServer
{
    public const string Prefix = "/v1";

    /// <param name="apiKey">The key clients must send.</param>
    /// <param name="hostArgs">Host settings for ASP.NET Core, e.g. <c>--urls http://127.0.0.1:5090</c> or <c>--CostConsole:Simulator:Seed=7</c>.</param>
    public static WebApplication Build(string apiKey, string[] hostArgs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = hostArgs,
            // Served on its own, the simulator always asks for its key, whatever the environment.
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration[SimulatorOptions.SectionName + ":ApiKey"] = apiKey;
        builder.AddSimulator();
        builder.Services.AddHealthChecks();
        var app = builder.Build();
        app.MapSimulatorApi(Prefix);
        // For a service manager or a load balancer; it says only that the process answers.
        app.MapHealthChecks("/health");
        return app;
    }
}
