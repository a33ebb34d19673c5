using System.Text.Json;
using System.Text.Json.Serialization;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Api;

namespace CostConsole.Web.Experiments;

/// <summary>
/// <c>POST /api/feedback</c>: outcome feedback from the client application, authenticated with the same API key
/// as <c>/v1</c>. Body: <c>{"request_id" | "conversation_id", "resolved", "csat", "comment"}</c>.
/// </summary>
internal static class FeedbackApi
{
    private const long MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/feedback", PostAsync);
        return app;
    }

    private static async Task<IResult> PostAsync(HttpContext context, ApiKeyDirectory keys, FeedbackService feedback)
    {
        var key = keys.Authenticate(context.Request.Headers.Authorization);
        if (key is null)
        {
            return ApiErrors.Result(ApiErrors.Unauthorized);
        }

        if (!key.Has(CostConsole.Data.Keys.KeyScopes.Inference))
        {
            return ApiErrors.Result(ApiErrors.MissingScope(key.Scopes, CostConsole.Data.Keys.KeyScopes.Inference));
        }

        var bytes = await OpenAIApi.ReadBodyAsync(context.Request, MaxBodyBytes, context.RequestAborted);
        if (bytes is null)
        {
            return ApiErrors.Result(ApiErrors.TooLarge(MaxBodyBytes));
        }

        FeedbackBody? body;
        try
        {
            body = bytes.Value.IsEmpty ? null : JsonSerializer.Deserialize<FeedbackBody>(bytes.Value.Span);
        }
        catch (JsonException ex)
        {
            return Invalid("invalid_json", $"The body is not valid feedback JSON: {ex.Message}", ex.Path?.TrimStart('$', '.'));
        }

        if (body is null)
        {
            return Invalid("invalid_json", "The body is empty; send a JSON object.", null);
        }

        var result = await feedback.RecordAsync(new FeedbackInput(body.RequestId, body.ConversationId, body.Resolved, body.Csat, body.Comment), FeedbackSources.Api, key.Id, context.RequestAborted);
        return result.Status switch
        {
            FeedbackStatus.Invalid => Invalid("invalid_feedback", result.Message, result.Param),
            FeedbackStatus.NotFound => ApiErrors.Result(new ChatError(404, "invalid_request_error", "request_not_found", result.Message, result.Param)),
            _ => TypedResults.Ok(new FeedbackReply(result.RequestId!, result.Status == FeedbackStatus.Updated ? "updated" : "recorded")),
        };
    }

    private static IResult Invalid(string code, string message, string? param) =>
        ApiErrors.Result(new ChatError(400, "invalid_request_error", code, message, param));

    private sealed record FeedbackBody(
        [property: JsonPropertyName("request_id")] string? RequestId,
        [property: JsonPropertyName("conversation_id")] string? ConversationId,
        [property: JsonPropertyName("resolved")] bool? Resolved,
        [property: JsonPropertyName("csat")] int? Csat,
        [property: JsonPropertyName("comment")] string? Comment);

    private sealed record FeedbackReply([property: JsonPropertyName("request_id")] string RequestId, [property: JsonPropertyName("status")] string Status);
}
