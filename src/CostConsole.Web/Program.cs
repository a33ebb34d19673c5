using CostConsole.Web.Api;
using CostConsole.Web.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddRootSettings();
builder.AddCostConsoleData();
builder.AddCostConsoleRouting();

var app = builder.Build();

await app.InitializeCostConsoleAsync();

app.MapOpenAIApi();
app.MapRouteApi();
app.MapHealthChecks("/health");

app.Run();

public partial class Program;
