using CostConsole.Web.Api;
using CostConsole.Web.Extensions;
using CostConsole.Web.Simulator;

var builder = WebApplication.CreateBuilder(args);

builder.AddRootSettings();
builder.AddCostConsoleData();
builder.AddCostConsoleRouting();
builder.AddSimulator();
builder.AddConsole();

var app = builder.Build();

await app.InitializeCostConsoleAsync();

app.MapOpenAIApi();
app.MapRouteApi();
app.MapSimulatorApi();
app.MapHealthChecks("/health");
app.MapConsole();

app.Run();

public partial class Program;
