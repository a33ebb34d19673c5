using System.Text.Json;
using System.Text.Json.Serialization;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Api;

namespace CostConsole.Web.Privacy;

/// <summary>
/// <c>POST /api/privacy/erase</c> with <c>{"user": "…"}</c>, <c>{"key": 12}</c> or <c>{"conversation": "…"}</c>:
/// erases what is stored for that end user, API key or conversation (an admin, or an API key with every scope).
/// </summary>
internal static class PrivacyApi
{
    public static IEndpointRouteBuilder MapPrivacyApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/privacy/erase", EraseAsync).RequireAuthorization(Access.Policies.PrivacyApi).DisableAntiforgery();
        return app;
    }

    private static async Task<IResult> EraseAsync(HttpContext context, Erasure erasure)
    {
        ErasureBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<ErasureBody>(context.Request.Body, Json, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Invalid("invalid_json", $"The body is not valid JSON: {ex.Message}", null);
        }

        var given = new (ErasureSubject Subject, string? Value)[] { (ErasureSubject.User, body?.User), (ErasureSubject.Key, body?.Key?.ToString()), (ErasureSubject.Conversation, body?.Conversation) }
            .Where(g => g.Value is not null).ToList();
        if (given.Count != 1)
        {
            return Invalid("invalid_subject", "Give exactly one of \"user\" (the request's user field), \"key\" (an API key id) or \"conversation\" (a conversation id).", null);
        }

        var (subject, value) = given[0];
        if (Erasure.Check(subject, value) is { } problem)
        {
            return Invalid("invalid_subject", problem, subject.ToString().ToLowerInvariant());
        }

        var result = await erasure.EraseAsync(subject, value!, context.User.Identity?.Name ?? "api", context.RequestAborted);
        return Results.Json(new { erased = subject.ToString().ToLowerInvariant(), value = value!.Trim(), ledger_rows = result.Rows, review_items = result.ReviewItems, feedback_comments = result.FeedbackComments, cache_entries = result.CacheEntries });
    }

    private static IResult Invalid(string code, string message, string? param) => ApiErrors.Result(ChatError.InvalidRequest(code, message, param));

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { NumberHandling = JsonNumberHandling.AllowReadingFromString };

    private sealed record ErasureBody(string? User, long? Key, string? Conversation);
}
