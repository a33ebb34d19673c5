using CostConsole.Routing.Tokens;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace CostConsole.Simulator;

public static class SimulatorExtensions
{
    /// <summary>Registers the embedded OpenAI-compatible simulator, configured from <c>CostConsole:Simulator</c>.</summary>
    public static WebApplicationBuilder AddSimulator(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var gatewayLimit = builder.Configuration.GetValue<long?>("CostConsole:MaxRequestBytes");
        services.AddOptions<SimulatorOptions>()
            .Configure<IConfiguration, IHostEnvironment>((options, configuration, environment) =>
            {
                options.MaxRequestBytes = gatewayLimit ?? SimulatorOptions.DefaultMaxRequestBytes;
                options.BatchFolder = Path.Combine(environment.ContentRootPath, configuration["CostConsole:DataFolder"] ?? "data", "simulator");
            })
            .BindConfiguration(SimulatorOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SimulatorOptions>, SimulatorOptionsValidator>());
        services.TryAddSingleton(provider => new SimulatorSettings(provider.GetRequiredService<IOptions<SimulatorOptions>>().Value));
        services.TryAddSingleton<ITokenCounter>(O200kTokenCounter.Instance);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<SimulationEngine>();
        services.TryAddSingleton<SimulatorAccess>();
        services.TryAddSingleton<SimulatedBatches>();
        return builder;
    }

    /// <summary>
    /// Maps <c>POST /sim/v1/chat/completions</c>, <c>POST /sim/v1/responses</c>, <c>POST /sim/v1/messages</c>, <c>POST /sim/v1/embeddings</c>,
    /// <c>GET /sim/v1/models</c>, and the batch interface (<c>/sim/v1/files</c>, <c>/sim/v1/batches</c>). They answer only while
    /// a provider in the catalogue is served in-process (404 otherwise); outside Development they need the key the app sends to
    /// itself or <c>CostConsole:Simulator:ApiKey</c>, and not a console sign-in.
    /// </summary>
    public static IEndpointRouteBuilder MapSimulatorApi(this IEndpointRouteBuilder app) => app.MapSimulatorApi(EmbeddedPrefix);

    /// <summary>Where the console serves its embedded simulator; a simulator served on its own answers at <c>/v1</c>.</summary>
    public const string EmbeddedPrefix = "/sim/v1";

    public static IEndpointRouteBuilder MapSimulatorApi(this IEndpointRouteBuilder app, string prefix)
    {
        var api = app.MapGroup(prefix)
            .WithTags("Simulator")
            .AllowAnonymous()
            .AddEndpointFilter(async (context, next) =>
            {
                var http = context.HttpContext;
                if (!SimulatorAccess.InUse(http.RequestServices))
                {
                    return SimulatorError.NotServed;
                }

                var access = http.RequestServices.GetRequiredService<SimulatorAccess>();
                if (access.KeyRequired && !access.Accepts(http.Request.Headers.Authorization) && !access.Accepts(ApiKeyHeader(http.Request)))
                {
                    return SimulatorError.Unauthorized;
                }

                return await next(context);
            });
        api.MapPost("/chat/completions", SimulatorApi.CreateChatCompletion);
        api.MapGet("/models", SimulatorApi.ListModels);
        api.MapPost("/embeddings", SimulatedEmbeddings.CreateEmbeddings);
        api.MapPost("/responses", SimulatedProtocols.CreateResponse);
        api.MapPost("/messages", SimulatedProtocols.CreateMessage);
        api.MapPost("/files", SimulatedBatches.UploadFile).DisableAntiforgery();
        api.MapGet("/files/{id}", SimulatedBatches.GetFile);
        api.MapGet("/files/{id}/content", SimulatedBatches.FileContent);
        api.MapPost("/batches", SimulatedBatches.CreateBatch);
        api.MapGet("/batches", SimulatedBatches.ListBatches);
        api.MapGet("/batches/{id}", SimulatedBatches.GetBatch);
        api.MapPost("/batches/{id}/cancel", SimulatedBatches.CancelBatch);
        return app;
    }

    /// <summary>Anthropic's clients send their key as <c>x-api-key</c>; read as a bearer token.</summary>
    private static string? ApiKeyHeader(HttpRequest request) =>
        request.Headers["x-api-key"].ToString() is { Length: > 0 } key ? "Bearer " + key : null;
}
