using System.Text.Json;
using System.Text.Json.Serialization;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;

namespace CostConsole.Web.Api;

/// <summary>
/// <c>/api/router/shadow</c>: <c>GET</c> the shadow in force (or the last one) and its comparison with the published
/// router on live traffic; <c>POST {"model":"name@version","quality_target":0.9}</c> puts a stored or shipped trained model
/// in shadow; <c>DELETE</c> stops it. A shadow decides beside the classifier and is recorded, never served.
/// </summary>
internal static class RouterShadowApi
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    public static IEndpointRouteBuilder MapRouterShadowApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/router/shadow").RequireAuthorization(Access.Policies.RouterTrainingApi).DisableAntiforgery();
        group.MapGet("", GetAsync);
        group.MapPost("", StartAsync);
        group.MapDelete("", StopAsync);
        return app;
    }

    private static async Task<IResult> GetAsync(RouterShadowService shadows, ShadowComparer comparer, CancellationToken cancellationToken)
    {
        if (await shadows.LatestAsync(cancellationToken) is not { } latest)
        {
            return Results.Json(new { running = false, shadow = (ShadowView?)null, comparison = (ShadowComparison?)null }, JsonOptions);
        }

        var comparison = await comparer.CompareAsync(latest.View.Model, latest.View.StartedAt, latest.StoppedAt, cancellationToken);
        return Results.Json(new { running = latest.StoppedAt is null, shadow = latest.View, stopped_at = latest.StoppedAt, comparison }, JsonOptions);
    }

    private static async Task<IResult> StartAsync(HttpContext context, RouterShadowService shadows)
    {
        if (ApiErrors.NotJson(context.Request) is { } notJson)
        {
            return ApiErrors.Result(notJson);
        }

        StartBody? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<StartBody>(context.Request.Body, JsonOptions, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("invalid_json", $"The body is not valid JSON for a shadow: {ex.Message} Send {{\"model\":\"name@version\",\"quality_target\":0.9}}."));
        }

        if (body?.Model is not { Length: > 0 } model)
        {
            return ApiErrors.Result(ChatError.InvalidRequest("missing_model", "Name the trained model to put in shadow: {\"model\":\"name@version\"}.", "model"));
        }

        var settings = new ShadowSettings
        {
            Model = model,
            Policy = body.Policy ?? TrainedPolicy.QualityTarget,
            QualityTarget = body.QualityTarget ?? TrainedClassifierDefinition.DefaultQualityTarget,
            Lambda = body.Lambda ?? TrainedClassifierDefinition.DefaultLambda,
        };
        var result = await shadows.StartAsync(settings, context.User.Identity?.Name ?? "api", CancellationToken.None);
        if (result.Done)
        {
            return Results.Json(new { running = true, shadow = result.Shadow }, JsonOptions);
        }

        return ApiErrors.Result(result.UnknownModel ? ChatError.ModelNotFound(result.Summary) : ChatError.InvalidRequest("invalid_shadow", result.Summary, "model"));
    }

    private static async Task<IResult> StopAsync(HttpContext context, RouterShadowService shadows)
    {
        var stopped = await shadows.StopAsync(context.User.Identity?.Name ?? "api", CancellationToken.None);
        return stopped is null
            ? ApiErrors.Result(new ChatError(404, "invalid_request_error", "no_shadow", "No trained model is in shadow; nothing was stopped."))
            : Results.Json(new { running = false, stopped }, JsonOptions);
    }

    private sealed record StartBody(string? Model, TrainedPolicy? Policy, double? QualityTarget, double? Lambda);
}
