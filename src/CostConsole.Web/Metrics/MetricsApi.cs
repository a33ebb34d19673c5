using CostConsole.Web.Api;
using CostConsole.Web.Catalogue;

namespace CostConsole.Web.Metrics;

/// <summary>The dashboard's view as CSV: <c>/api/metrics/export.csv?range=30d&amp;tier=small</c>.</summary>
internal static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/metrics/export.csv", ExportAsync).RequireAuthorization(Access.Policies.SpendApi);
        return app;
    }

    /// <summary>The export link for a dashboard view.</summary>
    public static string ExportUrl(MetricsRange range, MetricsFilter filter)
    {
        var query = new Dictionary<string, string?> { ["range"] = MetricsRange.Name(range.Kind) };
        if (range.Kind == RangeKind.Custom)
        {
            query["from"] = range.From.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            query["to"] = range.To.AddTicks(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        }

        query["key"] = filter.ApiKeyId?.ToString(System.Globalization.CultureInfo.InvariantCulture);
        query["tier"] = filter.Tier;
        query["model"] = filter.Model;
        query["rule"] = filter.Rule;
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/api/metrics/export.csv", query.Where(p => p.Value is not null));
    }

    private static async Task ExportAsync(HttpContext context, MetricsHistory history, ApiKeyDirectory keys, TimeProvider time)
    {
        var q = context.Request.Query;

        // A reporting key reads its own team's spend, unless an admin granted it the whole organisation's.
        string? team = null;
        var callerId = Access.ApiKeyAuthentication.KeyIdOf(context.User);
        var keyCaller = callerId is not null;
        if (callerId is { } callerKeyId)
        {
            if (keys.Find(callerKeyId) is not { } caller)
            {
                await ApiErrors.WriteAsync(context.Response, ApiErrors.Unauthorized);
                return;
            }

            if (!caller.Has(CostConsole.Data.Keys.KeyScopes.Organisation))
            {
                // Every key made on the keys page has a team; one without reads no team's spend.
                team = caller.Team ?? "";
            }
        }

        MetricsRange range;
        MetricsFilter filter;
        try
        {
            range = MetricsRange.Create(MetricsRange.ParseKind(q["range"]), time.GetUtcNow(), MetricsRange.ParseDate(q["from"], "from"), MetricsRange.ParseDate(q["to"], "to"));
            long? key = null;
            if (q["key"].ToString() is { Length: > 0 } keyText)
            {
                key = long.TryParse(keyText, System.Globalization.CultureInfo.InvariantCulture, out var id)
                    ? id
                    : throw new MetricsInputException($"'{keyText}' is not an API key id.");
            }

            filter = new MetricsFilter(key, Blank(q["tier"]), Blank(q["model"]), Blank(q["rule"]), team);
            await history.ValidateAsync(filter, context.RequestAborted, listKnown: !keyCaller);
        }
        catch (MetricsInputException ex)
        {
            await ApiErrors.WriteAsync(context.Response, new CostConsole.Routing.Pipeline.ChatError(400, "invalid_request_error", "invalid_filter", ex.Message));
            return;
        }

        var rows = await history.ExportAsync(range, filter, context.RequestAborted);
        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"costconsole-{MetricsRange.Name(range.Kind)}-{range.To:yyyyMMdd-HHmm}.csv\"";
        await using var writer = new StreamWriter(context.Response.Body, new System.Text.UTF8Encoding(false));
        await Csv.WriteAsync(
            writer,
            ["bucket_start_utc", "tier", "model", "requests", "answered", "failed", "rejected", "fallback_requests", "escalations", "prompt_tokens", "completion_tokens",
             "spend_usd", "baseline_usd", "savings_usd", "latency_p50_ms", "latency_p95_ms"],
            rows.Select(r => (IReadOnlyList<object?>)
            [
                r.Start.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), r.Tier, r.Model, r.Totals.Requests, r.Totals.Answered,
                r.Totals.Failed, r.Totals.Rejected, r.Totals.FallbackRequests, r.Totals.Escalations, r.Totals.PromptTokens, r.Totals.CompletionTokens,
                r.Totals.Spend, r.Totals.Baseline, r.Totals.Savings, Round(r.LatencyP50Ms), Round(r.LatencyP95Ms),
            ]));
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 1) : null;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
