using CostConsole.Web.Api;
using CostConsole.Web.Components;
using CostConsole.Web.Catalogue;
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
        builder.Services.AddSingleton<RoutingLab>();
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
