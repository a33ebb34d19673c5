using CostConsole.Web.Api;
using CostConsole.Web.Catalogue;

namespace CostConsole.Web.Metrics;

/// <summary>The dashboard's view as CSV: <c>/api/metrics/export.csv?range=30d&amp;tier=small</c>.</summary>
internal static class MetricsApi
{
    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/metrics/export.csv", ExportAsync).RequireAuthorization(Access.Policies.SpendApi);
        app.MapGet("/api/export/focus", FocusAsync).RequireAuthorization(Access.Policies.SpendApi);
        app.MapGet("/api/export/chargeback", ChargebackAsync).RequireAuthorization(Access.Policies.SpendApi);
        Requests.RequestExportApi.MapRequestExportApi(app);
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
        query["team"] = filter.Team;
        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString("/api/metrics/export.csv", query.Where(p => p.Value is not null));
    }

    private static async Task ExportAsync(HttpContext context, MetricsHistory history, ApiKeyDirectory keys, TimeProvider time)
    {
        var q = context.Request.Query;
        if (!TeamOfCaller(context, keys, out var team))
        {
            await ApiErrors.WriteAsync(context.Response, ApiErrors.Unauthorized);
            return;
        }

        var keyCaller = Access.ApiKeyAuthentication.KeyIdOf(context.User) is not null;

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

            // A reporting key reads its own team; a console user may choose one.
            filter = new MetricsFilter(key, Blank(q["tier"]), Blank(q["model"]), Blank(q["rule"]), team ?? Blank(q["team"]));
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

    /// <summary>
    /// The team a caller may read: null for a console user or a key with the organisation scope; a reporting key reads its
    /// own team's spend (every key made on the keys page has a team; one without reads no team's). False when the key is gone.
    /// </summary>
    internal static bool TeamOfCaller(HttpContext context, ApiKeyDirectory keys, out string? team)
    {
        team = null;
        if (Access.ApiKeyAuthentication.KeyIdOf(context.User) is not { } callerKeyId)
        {
            return true;
        }

        if (keys.Find(callerKeyId) is not { } caller)
        {
            return false;
        }

        if (!caller.Has(CostConsole.Data.Keys.KeyScopes.Organisation))
        {
            team = caller.Team ?? "";
        }

        return true;
    }

    /// <summary>The FOCUS link for a range: whole UTC days, the last one included.</summary>
    public static string FocusUrl(DateOnly from, DateOnly to) => ExportUrl("/api/export/focus", from, to, null);

    /// <summary>The chargeback link for a range, one line per team and key per day or month.</summary>
    public static string ChargebackUrl(DateOnly from, DateOnly to, ChargebackPeriod period) =>
        ExportUrl("/api/export/chargeback", from, to, period == ChargebackPeriod.Month ? "month" : "day");

    private static string ExportUrl(string path, DateOnly from, DateOnly to, string? period)
    {
        var query = new Dictionary<string, string?>
        {
            ["from"] = from.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
            ["to"] = to.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        };
        if (period is not null)
        {
            query["period"] = period;
        }

        return Microsoft.AspNetCore.WebUtilities.QueryHelpers.AddQueryString(path, query);
    }

    /// <summary><c>GET /api/export/focus?from=2026-11-01&amp;to=2026-11-30</c>: the FOCUS 1.2 cost and usage file for whole UTC days.</summary>
    private static Task FocusAsync(HttpContext context, LedgerExports exports, ApiKeyDirectory keys, TimeProvider time) =>
        WriteExportAsync(context, keys, time, "focus", (writer, range, team, ct) => exports.WriteFocusAsync(writer, range.From, range.To, team, ct));

    /// <summary><c>GET /api/export/chargeback?from=…&amp;to=…&amp;period=day|month</c>: spend per team and key with the price versions used.</summary>
    private static Task ChargebackAsync(HttpContext context, LedgerExports exports, ApiKeyDirectory keys, TimeProvider time)
    {
        ChargebackPeriod period;
        try
        {
            period = LedgerExports.ParsePeriod(context.Request.Query["period"]);
        }
        catch (MetricsInputException ex)
        {
            return ApiErrors.WriteAsync(context.Response, new CostConsole.Routing.Pipeline.ChatError(400, "invalid_request_error", "invalid_period", ex.Message));
        }

        return WriteExportAsync(context, keys, time, "chargeback-" + (period == ChargebackPeriod.Month ? "month" : "day"),
            (writer, range, team, ct) => exports.WriteChargebackAsync(writer, range.From, range.To, period, team, ct));
    }

    private static async Task WriteExportAsync(
        HttpContext context, ApiKeyDirectory keys, TimeProvider time, string name, Func<TextWriter, MetricsRange, string?, CancellationToken, Task<ExportTotals>> write)
    {
        if (!TeamOfCaller(context, keys, out var team))
        {
            await ApiErrors.WriteAsync(context.Response, ApiErrors.Unauthorized);
            return;
        }

        MetricsRange range;
        try
        {
            var q = context.Request.Query;
            var from = MetricsRange.ParseDate(q["from"], "from") ?? throw new MetricsInputException("Give 'from' and 'to' as dates (yyyy-MM-dd, UTC); both days are included.");
            var to = MetricsRange.ParseDate(q["to"], "to") ?? throw new MetricsInputException("Give 'to' as a date (yyyy-MM-dd, UTC); that day is included.");
            range = MetricsRange.Create(RangeKind.Custom, time.GetUtcNow(), from, to);
        }
        catch (MetricsInputException ex)
        {
            await ApiErrors.WriteAsync(context.Response, new CostConsole.Routing.Pipeline.ChatError(400, "invalid_request_error", "invalid_range", ex.Message));
            return;
        }

        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"costconsole-{name}-{range.From:yyyyMMdd}-{range.To.AddTicks(-1):yyyyMMdd}.csv\"";

        // Streamed: lines leave as each day is summed, so memory stays at one day's groups however long the range.
        await using var writer = new StreamWriter(context.Response.Body, new System.Text.UTF8Encoding(false), bufferSize: 64 * 1024);
        await write(writer, range, team, context.RequestAborted);
    }

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 1) : null;

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
