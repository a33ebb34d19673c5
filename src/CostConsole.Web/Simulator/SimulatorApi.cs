using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CostConsole.Web.Simulator;

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
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(httpContext.Request.Body, default, cancellationToken);
        }
        catch (JsonException exception)
        {
            return SimulatorError.MalformedJson(exception.Message);
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

    public static Ok<ModelList> ListModels(SimulatorSettings settings) =>
        TypedResults.Ok(new ModelList(
            "list",
            settings.Models.Select(model => new ModelEntry(model.Id, "model", ModelsCreated, "costconsole-simulator")).ToArray()));

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
