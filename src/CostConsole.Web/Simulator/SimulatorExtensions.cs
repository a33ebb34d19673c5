using CostConsole.Routing.Tokens;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Simulator;

public static class SimulatorExtensions
{
    /// <summary>Registers the embedded OpenAI-compatible simulator, configured from <c>CostConsole:Simulator</c>.</summary>
    public static WebApplicationBuilder AddSimulator(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SimulatorOptions>()
            .BindConfiguration(SimulatorOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SimulatorOptions>, SimulatorOptionsValidator>());
        services.TryAddSingleton(provider => new SimulatorSettings(provider.GetRequiredService<IOptions<SimulatorOptions>>().Value));
        services.TryAddSingleton<ITokenCounter>(O200kTokenCounter.Instance);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SimulationEngine>();
        return builder;
    }

    /// <summary>
    /// Maps <c>POST /sim/v1/chat/completions</c>, <c>POST /sim/v1/embeddings</c> and <c>GET /sim/v1/models</c>. Any API key, or none, is accepted:
    /// the simulator exists so a first run and tests need no real key.
    /// </summary>
    public static IEndpointRouteBuilder MapSimulatorApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/sim/v1")
            .WithTags("Simulator")
            .AllowAnonymous();
        api.MapPost("/chat/completions", SimulatorApi.CreateChatCompletion);
        api.MapGet("/models", SimulatorApi.ListModels);
        api.MapPost("/embeddings", SimulatedEmbeddings.CreateEmbeddings);
        return app;
    }
}
