using CostConsole.Web.Catalogue;

namespace CostConsole.Web.Api;

internal static class CatalogueApi
{
    public static IEndpointRouteBuilder MapCatalogueApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/catalogue/export.csv", async (HttpContext context, CatalogueService catalogue) =>
        {
            context.Response.ContentType = "text/csv; charset=utf-8";
            context.Response.Headers.ContentDisposition = $"attachment; filename=\"costconsole-catalogue-{DateTime.UtcNow:yyyyMMdd}.csv\"";
            await catalogue.WriteCsvAsync(context.Response.Body, context.RequestAborted);
        }).RequireAuthorization(Access.Policies.CatalogueApi);
        return app;
    }
}
