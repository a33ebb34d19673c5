using CostConsole.Routing.Pipeline;
using CostConsole.Web.Escalation;

namespace CostConsole.Web.Api;

/// <summary>
/// <c>POST /api/escalation/evaluate?tiers=small=A,large=B[&amp;draft=true]</c> with a labelled CSV or JSONL file as the
/// body: what the escalation policy's gates would catch on it and what the cascade costs. Reads only.
/// </summary>
internal static class EscalationApi
{
    private const long MaxFileBytes = 64L * 1024 * 1024;

    public static IEndpointRouteBuilder MapEscalationApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/escalation/evaluate", EvaluateAsync).RequireAuthorization(Access.Policies.EscalationApi).DisableAntiforgery();
        app.MapGet("/api/escalation/labels", LabelsAsync).RequireAuthorization(Access.Policies.EscalationApi);
        return app;
    }

    /// <summary>Escalations as training labels, one JSON object per line (JSONL), oldest first.</summary>
    private static async Task LabelsAsync(HttpContext context, EscalationLabels labels, DateTimeOffset? since, int? limit)
    {
        context.Response.ContentType = "application/x-ndjson";
        var take = Math.Clamp(limit ?? 10_000, 1, 100_000);
        await foreach (var label in labels.ReadAsync(since ?? DateTimeOffset.UnixEpoch, take, context.RequestAborted))
        {
            await context.Response.WriteAsync(System.Text.Json.JsonSerializer.Serialize(label, LabelJson) + "\n", context.RequestAborted);
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions LabelJson = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static async Task<IResult> EvaluateAsync(HttpContext context, EscalationEvaluator evaluator, string? tiers, bool? draft)
    {
        TierPair pair;
        try
        {
            pair = TierPair.Parse(tiers);
        }
        catch (ArgumentException ex)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_tiers", ex.Message, "tiers"));
        }

        if (context.Request.ContentLength > MaxFileBytes)
        {
            return ApiErrors.Result(ApiErrors.TooLarge(MaxFileBytes));
        }

        using var reader = new StreamReader(context.Request.Body);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        if (text.Length > MaxFileBytes)
        {
            return ApiErrors.Result(ApiErrors.TooLarge(MaxFileBytes));
        }

        try
        {
            var result = await evaluator.EvaluateAsync(new StringReader(text), pair, draft ?? false, cancellationToken: context.RequestAborted);
            return Results.Json(result, EscalationEvaluator.JsonOptions);
        }
        catch (EscalationEvaluationException ex)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_labelled_file", ex.Message, "file"));
        }
    }
}
