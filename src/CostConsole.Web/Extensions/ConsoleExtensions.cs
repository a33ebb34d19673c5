using CostConsole.Web.Api;
using CostConsole.Web.Components;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Playground;
using CostConsole.Web.Review;
using CostConsole.Web.Routing;
using MudBlazor.Services;

namespace CostConsole.Web.Extensions;

internal static class ConsoleExtensions
{
    public static WebApplicationBuilder AddConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorComponents().AddInteractiveServerComponents();
        builder.Services.AddMudServices();
        builder.Services.AddSingleton<CatalogueService>();
        builder.Services.AddSingleton<RuleSetService>();
        builder.Services.AddSingleton<CostConsole.Web.Escalation.EscalationEvaluator>();
        builder.Services.AddSingleton<CostConsole.Web.Escalation.EscalationLabels>();
        builder.Services.AddSingleton<RoutingLab>();
        builder.Services.AddSingleton<PlaygroundRunner>();
        builder.Services.AddSingleton<LabelledExamples>();
        builder.Services.AddSingleton<ReviewQueue>();
        return builder;
    }

    public static WebApplication MapConsole(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapCatalogueApi();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization();
        return app;
    }
}
