using CostConsole.Simulator;
using CostConsole.Web.Api;
using CostConsole.Web.Caching;
using CostConsole.Web.Cluster;
using CostConsole.Web.Commands;
using CostConsole.Web.Extensions;
using CostConsole.Web.Privacy;
using CostConsole.Web.Telemetry;

return await ConsoleCommandLine.InvokeAsync(args, new ConsoleHost(BuildAsync, ServeAsync));

static async Task<WebApplication> BuildAsync(string[] args)
{
    var builder = WebApplication.CreateBuilder(CostConsoleHosting.Options(args));

    builder.AddRootSettings();
    builder.AddCostConsoleData();
    builder.AddConsoleAccess();
    builder.AddCostConsoleRouting();
    builder.AddLocalEmbeddings();
    builder.AddResponseCache();
    builder.AddSimulator();
    builder.AddMetrics();
    builder.AddConsole();
    builder.AddExperiments();
    builder.AddTelemetry();
    builder.AddBatches();
    builder.AddRedis();
    builder.AddPrivacy();

    var app = builder.Build();
    await app.InitializeCostConsoleAsync();
    return app;
}

static async Task ServeAsync(string[] args)
{
    await using var app = await BuildAsync(args);

    await app.InitializeMetricsAsync();
    await app.InitializeAccessAsync();

    app.UseConsoleAccess();

    app.MapOpenAIApi();
    app.MapBatchApi();
    app.MapResponsesApi();
    app.MapAnthropicMessagesApi();
    app.MapRouteApi();
    app.MapEscalationApi();
    app.MapRouterTrainingApi();
    app.MapRouterShadowApi();
    app.MapPrivacyApi();
    app.MapSimulatorApi();
    app.MapHealthChecks("/health").AllowAnonymous();
    app.MapAccountApi();
    app.MapMetrics();
    app.MapConsole();
    app.MapExperiments();
    app.MapTelemetry();

    await app.RunAsync();
}

public partial class Program;
