using System.Globalization;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Api;
using CostConsole.Web.Metrics;
using Microsoft.AspNetCore.WebUtilities;

namespace CostConsole.Web.Requests;

/// <summary>
/// <c>GET /api/requests/export.csv?range=24h&amp;key=3&amp;team=support&amp;user=alice&amp;tier=small&amp;status=failed&amp;sort=cost</c>:
/// the request explorer's filtered requests, one line each, with their key, team, end user and conversation. The explorer's
/// own address carries the same parameters, so a bookmarked view and its export agree.
/// </summary>
internal static class RequestExportApi
{
    public const string Path = "/api/requests/export.csv";

    public static IEndpointRouteBuilder MapRequestExportApi(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, ExportAsync).RequireAuthorization(Access.Policies.SpendApi);
        return app;
    }

    /// <summary>The export link for the explorer's filters; a custom range is given as its whole UTC days.</summary>
    public static string Url(RangeKind kind, MetricsRange? custom, RequestQuery query)
    {
        var parameters = new Dictionary<string, string?> { ["range"] = MetricsRange.Name(kind) };
        if (kind == RangeKind.Custom && custom is { } range)
        {
            parameters["from"] = range.From.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            parameters["to"] = range.To.AddTicks(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        }

        foreach (var (name, value) in Parameters(query))
        {
            parameters[name] = value;
        }

        return QueryHelpers.AddQueryString(Path, parameters.Where(p => p.Value is not null));
    }

    /// <summary>The query's filters and order as address parameters; those left at their default are null.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Parameters(RequestQuery query)
    {
        yield return new("key", query.ApiKeyId?.ToString(CultureInfo.InvariantCulture));
        yield return new("team", query.Team);
        yield return new("user", query.EndUser);
        yield return new("conversation", query.Conversation);
        yield return new("tier", query.Tier);
        yield return new("model", query.Model);
        yield return new("rule", query.Rule);
        yield return new("status", query.Status?.ToString().ToLowerInvariant());
        yield return new("search", query.Search);
        yield return new("text", query.Text);
        yield return new("sort", query.Sort == RequestQuery.DefaultSort(query.Text) ? null : query.Sort.ToString().ToLowerInvariant());
        yield return new("order", query.Descending ? null : "asc");
    }

    private static async Task ExportAsync(HttpContext context, RequestExplorer explorer, ApiKeyDirectory keys, TimeProvider time)
    {
        if (!MetricsApi.TeamOfCaller(context, keys, out var team))
        {
            await ApiErrors.WriteAsync(context.Response, ApiErrors.Unauthorized);
            return;
        }

        RequestQuery query;
        MetricsRange range;
        try
        {
            (query, range) = Parse(context.Request.Query, time.GetUtcNow());
        }
        catch (MetricsInputException ex)
        {
            await ApiErrors.WriteAsync(context.Response, new ChatError(400, "invalid_request_error", "invalid_filter", ex.Message));
            return;
        }

        context.Response.ContentType = "text/csv; charset=utf-8";
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"costconsole-requests-{range.From:yyyyMMdd-HHmm}-{range.To:yyyyMMdd-HHmm}.csv\"";
        await using var writer = new StreamWriter(context.Response.Body, new System.Text.UTF8Encoding(false), bufferSize: 64 * 1024);
        await explorer.ExportAsync(writer, query, team, context.RequestAborted);
    }

    internal static (RequestQuery Query, MetricsRange Range) Parse(IQueryCollection q, DateTimeOffset now)
    {
        var range = MetricsRange.Create(MetricsRange.ParseKind(q["range"]), now, MetricsRange.ParseDate(q["from"], "from"), MetricsRange.ParseDate(q["to"], "to"));
        long? key = null;
        if (q["key"].ToString() is { Length: > 0 } keyText)
        {
            key = long.TryParse(keyText, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : throw new MetricsInputException($"'{keyText}' is not an API key id.");
        }

        LedgerStatus? status = q["status"].ToString().ToLowerInvariant() switch
        {
            "" => null,
            "answered" => LedgerStatus.Answered,
            "failed" => LedgerStatus.Failed,
            "rejected" => LedgerStatus.Rejected,
            var other => throw new MetricsInputException($"Unknown status '{other}'. Use answered, failed or rejected."),
        };
        var sort = q["sort"].ToString().ToLowerInvariant() switch
        {
            "" => RequestQuery.DefaultSort(q["text"]),
            "time" => RequestSort.Time,
            "relevance" => RequestSort.Relevance,
            "cost" => RequestSort.Cost,
            "baseline" => RequestSort.Baseline,
            "latency" => RequestSort.Latency,
            "tokens" => RequestSort.Tokens,
            var other => throw new MetricsInputException($"Unknown sort '{other}'. Use time, cost, baseline, latency, tokens or relevance."),
        };
        var descending = q["order"].ToString().ToLowerInvariant() switch
        {
            "" or "desc" => true,
            "asc" => false,
            var other => throw new MetricsInputException($"Unknown order '{other}'. Use asc or desc."),
        };
        if (RequestExplorer.CheckText(q["text"]) is { } problem)
        {
            throw new MetricsInputException(problem);
        }

        return (new RequestQuery(range.From, range.To, key, Blank(q["tier"]), Blank(q["model"]), Blank(q["rule"]), status, Blank(q["search"]), sort, descending, Text: Blank(q["text"]),
            Team: Blank(q["team"]), EndUser: Blank(q["user"]), Conversation: Blank(q["conversation"])), range);
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
