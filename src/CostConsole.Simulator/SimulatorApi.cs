using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CostConsole.Routing.Requests;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace CostConsole.Simulator;

/// <summary>The handlers behind <c>/sim/v1</c>.</summary>
internal static class SimulatorApi
{
    // A fixed date, so the model list is the same on every run.
    private static readonly long ModelsCreated = new DateTimeOffset(2025, 4, 14, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();

    public static async Task<IResult> CreateChatCompletion(
        HttpContext httpContext,
        SimulatorSettings settings,
        SimulationEngine engine,
        TimeProvider timeProvider)
    {
        var cancellationToken = httpContext.RequestAborted;
        var (document, readError) = await ReadJsonAsync(httpContext);
        if (document is null)
        {
            return readError!;
        }

        ChatCompletionRequest? request;
        using (document)
        {
            if (!ChatCompletionRequest.TryParse(document.RootElement, out request, out var error))
            {
                return error;
            }
        }

        var profile = settings.Find(request.Model);
        if (profile is null)
        {
            return SimulatorError.ModelNotFound(request.Model, settings.Models.Select(model => model.Id));
        }

        var completion = engine.Simulate(request, profile);
        switch (completion.Fault)
        {
            case SimulatedFault.ServerError:
                return SimulatorError.ServerError(profile.Id);
            case SimulatedFault.RateLimit:
                return SimulatorError.RateLimited(profile);
            case SimulatedFault.Timeout:
                await DelayAsync(completion.Hang, timeProvider, cancellationToken);
                return SimulatorError.TimedOut(profile);
        }

        var identity = new ResponseIdentity(
            "chatcmpl-sim-" + Guid.NewGuid().ToString("N")[..24],
            timeProvider.GetUtcNow().ToUnixTimeSeconds(),
            Fingerprint(profile.Id));

        if (request.Stream)
        {
            return new ChatCompletionStreamResult(completion, identity, request, timeProvider);
        }

        await DelayAsync(completion.TimeToFirstToken + completion.TimePerToken * completion.CompletionTokens, timeProvider, cancellationToken);
        return new ChatCompletionResult(completion, identity, request.Logprobs);
    }

    /// <summary>
    /// Reads a JSON body within the limit <c>/v1</c> has (plus room for the fields the router adds when it forwards one), and
    /// refuses text no string can hold (invalid UTF-8, a lone surrogate escape) as a 400 rather than failing on it later.
    /// </summary>
    internal static async Task<(JsonDocument? Document, SimulatorError? Error)> ReadJsonAsync(HttpContext httpContext)
    {
        var limit = httpContext.RequestServices.GetRequiredService<IOptions<SimulatorOptions>>().Value.MaxRequestBytes + ForwardingHeadroom;
        if (await RequestBody.ReadAsync(httpContext.Request.BodyReader, httpContext.Request.ContentLength, limit, httpContext.RequestAborted) is not { } body)
        {
            return (null, SimulatorError.TooLarge(limit));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException exception)
        {
            return (null, SimulatorError.MalformedJson(exception.Message));
        }

        if (JsonText.FindProblem(body.Span) is { } problem)
        {
            document.Dispose();
            return (null, SimulatorError.InvalidRequest(problem, null));
        }

        return (document, null);
    }

    /// <summary>What the router may add to a client's body on its way here: the model name, logprobs, stream options.</summary>
    private const long ForwardingHeadroom = 16 * 1024;

    /// <summary>The simulated models: in OpenAI's list shape, or in Anthropic's when the client sends <c>anthropic-version</c>, as Anthropic's clients do.</summary>
    public static IResult ListModels(HttpRequest request, SimulatorSettings settings)
    {
        if (request.Headers.ContainsKey("anthropic-version"))
        {
            var created = DateTimeOffset.FromUnixTimeSeconds(ModelsCreated).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var models = settings.Models.Select(model => new AnthropicModelEntry("model", model.Id, model.Id, created)).ToArray();
            return TypedResults.Ok(new AnthropicModelList(models, false, models.FirstOrDefault()?.Id, models.LastOrDefault()?.Id));
        }

        return TypedResults.Ok(new ModelList(
            "list",
            settings.Models.Select(model => new ModelEntry(model.Id, "model", ModelsCreated, "costconsole-simulator")).ToArray()));
    }

    /// <summary>Waits a simulated duration; skipped entirely at zero so tests and benchmarks never touch a timer.</summary>
    internal static Task DelayAsync(TimeSpan duration, TimeProvider timeProvider, CancellationToken cancellationToken) =>
        duration > TimeSpan.Zero ? Task.Delay(duration, timeProvider, cancellationToken) : Task.CompletedTask;

    private static string Fingerprint(string modelId)
    {
        var hash = new StableHash();
        hash.Add(modelId);
        return "fp_sim_" + (hash.Value & 0xFFFFFFFFFF).ToString("x10", CultureInfo.InvariantCulture);
    }
}

internal sealed record ModelEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy);

internal sealed record ModelList(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<ModelEntry> Data);

internal sealed record AnthropicModelEntry(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("display_name")] string DisplayName,
    [property: JsonPropertyName("created_at")] string CreatedAt);

internal sealed record AnthropicModelList(
    [property: JsonPropertyName("data")] IReadOnlyList<AnthropicModelEntry> Data,
    [property: JsonPropertyName("has_more")] bool HasMore,
    [property: JsonPropertyName("first_id")] string? FirstId,
    [property: JsonPropertyName("last_id")] string? LastId);
