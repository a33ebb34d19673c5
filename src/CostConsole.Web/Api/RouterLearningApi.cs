using System.Globalization;
using CostConsole.Routing.Pipeline;
using CostConsole.Training;
using CostConsole.Web.Routing;

namespace CostConsole.Web.Api;

/// <summary>
/// Training from the ledger and its proposals: <c>POST /api/router/train?source=ledger&amp;from=&amp;to=</c> (through
/// <see cref="RouterTrainingApi"/>), <c>GET|POST /api/router/proposals</c> (list; retrain now), <c>POST
/// /api/router/proposals/{id}/use|dismiss</c>, <c>GET|PUT /api/router/auto-publish</c>.
/// </summary>
internal static class RouterLearningApi
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapGet("/proposals", async (RouterRetraining retraining, CancellationToken cancellationToken) =>
            Results.Json(new { data = await retraining.ListAsync(cancellationToken), minimumExamples = retraining.MinimumExamples }, RouterTraining.JsonOptions));
        group.MapPost("/proposals", ProposeAsync);
        group.MapPost("/proposals/{id:long}/use", async (long id, HttpContext context, RouterRetraining retraining) =>
            Decided(await retraining.UseInDraftAsync(id, Actor(context), context.RequestAborted)));
        group.MapPost("/proposals/{id:long}/dismiss", async (long id, HttpContext context, RouterRetraining retraining) =>
            Decided(await retraining.DismissAsync(id, Actor(context), context.RequestAborted)));
        group.MapGet("/auto-publish", async (RouterRetraining retraining, CancellationToken cancellationToken) =>
            Results.Json(new { enabled = await retraining.AutoPublishAsync(cancellationToken), rule = RouterRetraining.BeatsRule }, RouterTraining.JsonOptions));
        group.MapPut("/auto-publish", SetAutoPublishAsync);
    }

    /// <summary>Reads <c>from</c> and <c>to</c> (ISO 8601, UTC when no offset is given); the default range is the last <paramref name="window"/>.</summary>
    public static ChatError? Range(IReadOnlyDictionary<string, string> fields, DateTimeOffset now, TimeSpan window, out DateTimeOffset from, out DateTimeOffset to)
    {
        from = now - window;
        to = now;
        foreach (var (name, isFrom) in new[] { ("from", true), ("to", false) })
        {
            if (!fields.TryGetValue(name, out var text) || string.IsNullOrWhiteSpace(text))
            {
                continue;
            }

            if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var value))
            {
                return ChatError.InvalidRequest("invalid_value", $"'{name}' must be a date or time such as 2026-12-01 or 2026-12-01T08:00:00Z; got '{text}'.", name);
            }

            if (isFrom)
            {
                from = value;
            }
            else
            {
                // A bare date as the end means the whole of that day.
                to = text.Trim().Length <= 10 ? value.AddDays(1) : value;
            }
        }

        return to <= from
            ? ChatError.InvalidRequest("empty_range", $"The range from {from:yyyy-MM-dd HH:mm} to {to:yyyy-MM-dd HH:mm} UTC is empty; give 'from' before 'to'.", "from")
            : null;
    }

    /// <summary>The labelled set of <c>source=ledger</c> between <c>from</c> and <c>to</c>; its summary goes into the answer as <c>ledger</c>.</summary>
    public static async Task<(LabelledSet? Set, Dictionary<string, string> Fields, ChatError? Error)> ReadLedgerAsync(HttpContext context)
    {
        var fields = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        if (context.Request.HasFormContentType)
        {
            foreach (var (key, value) in await context.Request.ReadFormAsync(context.RequestAborted))
            {
                fields[key] = value.ToString();
            }
        }

        var services = context.RequestServices;
        var window = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<RouterRetrainOptions>>().Value.Window;
        if (Range(fields, services.GetRequiredService<TimeProvider>().GetUtcNow(), window, out var from, out var to) is { } bad)
        {
            return (null, fields, bad);
        }

        try
        {
            var (set, summary) = await services.GetRequiredService<LedgerTrainingData>().ReadAsync(from, to, context.RequestAborted);
            context.Items[LedgerSummaryKey] = summary;
            return (set, fields, null);
        }
        catch (LabelledFileException ex)
        {
            return (null, fields, ChatError.InvalidRequest("no_labelled_requests", ex.Message, "from"));
        }
    }

    public const string LedgerSummaryKey = "router-ledger-summary";

    private static async Task<IResult> ProposeAsync(HttpContext context, RouterRetraining retraining, TimeProvider time, Microsoft.Extensions.Options.IOptions<RouterRetrainOptions> options)
    {
        var fields = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        if (context.Request.HasFormContentType)
        {
            foreach (var (key, value) in await context.Request.ReadFormAsync(context.RequestAborted))
            {
                fields[key] = value.ToString();
            }
        }

        if (Range(fields, time.GetUtcNow(), options.Value.Window, out var from, out var to) is { } bad)
        {
            return ApiErrors.Result(bad);
        }

        RetrainResult result;
        try
        {
            result = await retraining.ProposeAsync(from, to, "on demand", Actor(context), context.RequestAborted);
        }
        catch (LabelledFileException ex)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("no_labelled_requests", ex.Message, "from"));
        }

        if (result.Proposal is null)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("too_few_labelled_requests", result.Message, "from"));
        }

        return Results.Json(new { proposal = result.Proposal, result.Message, result.Published }, RouterTraining.JsonOptions, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> SetAutoPublishAsync(HttpContext context, RouterRetraining retraining)
    {
        AutoPublishBody? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync<AutoPublishBody>(context.RequestAborted);
        }
        catch (System.Text.Json.JsonException)
        {
            body = null;
        }

        if (body?.Enabled is not { } enabled)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_value", "Send {\"enabled\": true} or {\"enabled\": false}.", "enabled"));
        }

        await retraining.SetAutoPublishAsync(enabled, Actor(context), context.RequestAborted);
        return Results.Json(new { enabled, rule = RouterRetraining.BeatsRule }, RouterTraining.JsonOptions);
    }

    private static IResult Decided((bool Done, string Message) result) =>
        result.Done
            ? Results.Json(new { message = result.Message }, RouterTraining.JsonOptions)
            : ApiErrors.Result(ChatError.InvalidRequest("proposal_not_waiting", result.Message, "id"));

    private static string Actor(HttpContext context) => context.User.Identity?.Name ?? "api";

    private sealed record AutoPublishBody(bool? Enabled);
}
