using CostConsole.Web.Experiments;

namespace CostConsole.Web.Extensions;

internal static class ExperimentExtensions
{
    public static WebApplicationBuilder AddExperiments(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<FeedbackService>();
        builder.Services.AddSingleton<ExperimentService>();
        return builder;
    }

    /// <summary>The feedback API (API key, like <c>/v1</c>) and the console's experiment export.</summary>
    public static WebApplication MapExperiments(this WebApplication app)
    {
        app.MapFeedbackApi();
        app.MapExperimentExport();
        return app;
    }
}
