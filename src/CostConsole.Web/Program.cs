using CostConsole.Web.Api;
using CostConsole.Web.Commands;
using CostConsole.Web.Extensions;
using CostConsole.Web.Simulator;

if (await ConsoleCommands.TryRunClientCommandAsync(args))
{
    return;
}

var builder = WebApplication.CreateBuilder(args);

builder.AddRootSettings();
builder.AddCostConsoleData();
builder.AddConsoleAccess();
builder.AddCostConsoleRouting();
builder.AddSimulator();
builder.AddMetrics();
builder.AddConsole();
builder.AddExperiments();

var app = builder.Build();

await app.InitializeCostConsoleAsync();
if (await app.TryRunDataCommandAsync(args))
{
    return;
}

await app.InitializeMetricsAsync();
await app.InitializeAccessAsync();

app.UseConsoleAccess();

app.MapOpenAIApi();
app.MapRouteApi();
app.MapRouterTrainingApi();
app.MapSimulatorApi();
app.MapHealthChecks("/health").AllowAnonymous();
app.MapAccountApi();
app.MapMetrics();
app.MapConsole();
app.MapExperiments();

app.Run();

public partial class Program;
