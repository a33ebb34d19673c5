using CostConsole.Web.Catalogue;

namespace CostConsole.Web.Experiments;

/// <summary><c>GET /experiments/{id}/export.csv</c>: every request of an experiment with its arm and outcome, for analysis elsewhere.</summary>
internal static class ExperimentExport
{
    public static string Url(long id) => $"/experiments/{id}/export.csv";

    public static IEndpointRouteBuilder MapExperimentExport(this IEndpointRouteBuilder app)
    {
        app.MapGet("/experiments/{id:long}/export.csv", ExportAsync).RequireAuthorization(Access.Policies.ExperimentsApi);
        return app;
    }

    private static async Task ExportAsync(long id, HttpContext context, ExperimentService experiments)
    {
        var experiment = await experiments.FindAsync(id, context.RequestAborted);
        if (experiment is null)
        {
            await Api.ApiErrors.WriteAsync(context.Response, new CostConsole.Routing.Pipeline.ChatError(404, "invalid_request_error", "experiment_not_found", $"There is no experiment {id}."));
            return;
        }

        var samples = await experiments.SamplesAsync(id, context.RequestAborted);
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"costconsole-experiment-{id}.csv\"";
        await using var writer = new StreamWriter(context.Response.Body);
        await Csv.WriteAsync(
            writer,
            ["request_id", "timestamp_utc", "arm", "cost_usd", "latency_ms", "answered", "fallback", "escalated", "resolved", "csat"],
            samples.Select(s => (IReadOnlyList<object?>)[s.RequestId, s.Timestamp.UtcDateTime.ToString("O"), s.Arm, s.Cost, Math.Round(s.LatencyMs, 1), s.Answered, s.Fallback, s.Escalated, s.Resolved, s.Csat]));
    }
}
