using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Keys;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Privacy;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Api;

/// <summary>The OpenAI-compatible surface: point any OpenAI client's base URL at <c>/v1</c>.</summary>
internal static class OpenAIApi
{
    public const string TagsHeader = "x-costconsole-tags";

    public const string ConversationHeader = "x-costconsole-conversation";

    public static IEndpointRouteBuilder MapOpenAIApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1");
        api.MapPost("/chat/completions", ChatCompletionsAsync);
        api.MapGet("/models", ListModels);
        api.MapPost("/embeddings", EmbeddingsApi.CreateAsync);
        return app;
    }

    private static async Task ChatCompletionsAsync(
        HttpContext context,
        ChatPipeline pipeline,
        ApiKeyDirectory keys,
        KeyRateLimiter limiter,
        ITokenCounter tokens,
        IOptions<CostConsoleOptions> options)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        var caller = NewCaller(context, options.Value, ClientProtocols.ChatCompletions);

        try
        {
            (caller, var parsed) = await AdmitAndParseAsync(
                context, caller, pipeline, keys, limiter, options.Value.MaxRequestBytes, (body, tags) => ChatRequestParser.Parse(body, tags, tokens));
            if (parsed is not { } request)
            {
                return;
            }

            using (request)
            {
                if (request.Stream)
                {
                    var sink = new HttpStreamSink(response);
                    var streamed = await pipeline.StreamAsync(request, caller, sink, aborted);
                    if (streamed.Error is { } streamError && !sink.HasStarted && !aborted.IsCancellationRequested)
                    {
                        SetOutcomeHeaders(response, streamed);
                        await ApiErrors.WriteAsync(response, streamError);
                    }

                    return;
                }

                var outcome = await pipeline.CompleteAsync(request, caller, aborted);
                if (aborted.IsCancellationRequested)
                {
                    return;
                }

                SetOutcomeHeaders(response, outcome);
                if (outcome.Error is { } error)
                {
                    await ApiErrors.WriteAsync(response, error);
                    return;
                }

                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/json";
                response.ContentLength = outcome.Body!.ToMemory().Length;
                await response.Body.WriteAsync(outcome.Body.ToMemory(), aborted);
            }
        }
        catch (LedgerUnavailableException) when (!response.HasStarted)
        {
            await ApiErrors.WriteAsync(response, ApiErrors.LedgerUnavailable);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; the pipeline has recorded what happened.
        }
    }

    /// <summary>The client's conversation id, trimmed and capped so a header cannot bloat the ledger.</summary>
    internal static string? ConversationId(HttpRequest request)
    {
        var value = request.Headers[ConversationHeader].ToString().Trim();
        return value.Length == 0 ? null : value.Length <= 200 ? value : value[..200];
    }

    /// <summary>A caller for a request arriving now: its id goes on the response and on the server span, so logs carry it.</summary>
    internal static CallerContext NewCaller(HttpContext context, CostConsoleOptions options, string protocol)
    {
        var storage = options.Privacy.For(null, options.StorePrompts);
        var caller = new CallerContext("req_" + Guid.CreateVersion7().ToString("N"), null, DateTimeOffset.UtcNow, Stopwatch.GetTimestamp(), storage != PromptStorage.None, Protocol: protocol)
        {
            PromptStorage = storage,
            EndUserField = options.Ledger.EndUserField,
        };
        context.Response.Headers["x-costconsole-request-id"] = caller.RequestId;
        Activity.Current?.SetTag(CostConsole.Routing.Telemetry.TelemetryNames.RequestId, caller.RequestId);
        return caller;
    }

    /// <summary>
    /// The caller once its key is known: the key, the conversation it names, and the prompt storage in force for the key
    /// (its own policy, else its team's, else the default), whatever API the client speaks.
    /// </summary>
    internal static CallerContext ForKey(CallerContext caller, ApiKeyInfo key, HttpRequest request)
    {
        caller = caller with { ApiKeyId = key.Id, ConversationId = ConversationId(request) };
        return key.PromptStorage is { } own ? caller with { StorePrompt = own != PromptStorage.None, PromptStorage = own } : caller;
    }

    /// <summary>
    /// Admits the request (<see cref="AdmitAsync"/>) and parses its body with <paramref name="parse"/> (given the body and
    /// the tags header). A body the parser refuses is answered with a 400 in OpenAI's shape and its ledger row. The
    /// request is null when it was refused: the answer is written.
    /// </summary>
    internal static async Task<(CallerContext Caller, T? Request)> AdmitAndParseAsync<T>(
        HttpContext context, CallerContext caller, ChatPipeline pipeline, ApiKeyDirectory keys, KeyRateLimiter limiter, long maxBytes,
        Func<ReadOnlyMemory<byte>, string?, T> parse)
        where T : class
    {
        (caller, var body) = await AdmitAsync(context, caller, pipeline, keys, limiter, maxBytes);
        if (body is null)
        {
            return (caller, null);
        }

        try
        {
            return (caller, parse(body.Value, context.Request.Headers[TagsHeader]));
        }
        catch (ChatRequestException ex)
        {
            await RejectAsync(context, pipeline, caller, ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param));
            return (caller, null);
        }
    }

    /// <summary>
    /// What every OpenAI-shaped endpoint checks before it parses: the key, its inference scope, its rate limit, a JSON
    /// content type and a body within the limit. Returns the caller with its key and the body, or, after writing the
    /// refusal and its ledger row, a null body.
    /// </summary>
    internal static async Task<(CallerContext Caller, ReadOnlyMemory<byte>? Body)> AdmitAsync(
        HttpContext context, CallerContext caller, ChatPipeline pipeline, ApiKeyDirectory keys, KeyRateLimiter limiter, long maxBytes)
    {
        var key = keys.Authenticate(context.Request.Headers.Authorization);
        if (key is null)
        {
            await RejectAsync(context, pipeline, caller, ApiErrors.Unauthorized);
            return (caller, null);
        }

        caller = ForKey(caller, key, context.Request);
        if (!key.Has(KeyScopes.Inference))
        {
            await RejectAsync(context, pipeline, caller, ApiErrors.MissingScope(key.Scopes, KeyScopes.Inference));
            return (caller, null);
        }

        if (await limiter.TryAcquireAsync(key) is { } retryAfter)
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            await RejectAsync(context, pipeline, caller, ApiErrors.RateLimited(key, retryAfter));
            return (caller, null);
        }

        if (ApiErrors.NotJson(context.Request) is { } notJson)
        {
            await RejectAsync(context, pipeline, caller, notJson);
            return (caller, null);
        }

        var body = await ReadBodyAsync(context.Request, maxBytes, context.RequestAborted);
        if (body is null)
        {
            await RejectAsync(context, pipeline, caller, ApiErrors.TooLarge(maxBytes));
        }

        return (caller, body);
    }

    internal static async Task RejectAsync(HttpContext context, ChatPipeline pipeline, CallerContext caller, ChatError error)
    {
        await pipeline.RejectAsync(caller, error, null, false);
        await ApiErrors.WriteAsync(context.Response, error);
    }

    /// <summary>Reads the whole body, or returns null when it is larger than <paramref name="limit"/>.</summary>
    internal static Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, long limit, CancellationToken cancellationToken) =>
        RequestBody.ReadAsync(request.BodyReader, request.ContentLength, limit, cancellationToken);

    internal static void SetDecisionHeaders(HttpResponse response, RoutingDecision decision, RoutedModel model)
    {
        var headers = response.Headers;
        headers["x-costconsole-tier"] = model.Tier;
        headers["x-costconsole-model"] = model.Model.Id;
        headers["x-costconsole-provider"] = model.Provider.Name;
        if (decision.Rule is { } rule)
        {
            headers["x-costconsole-rule"] = Uri.EscapeDataString(rule);
        }
    }

    internal static void SetOutcomeHeaders(HttpResponse response, ChatOutcome outcome)
    {
        if (outcome.Decision is { } decision)
        {
            SetDecisionHeaders(response, decision, outcome.Model ?? decision.Model);
        }

        var headers = response.Headers;
        headers["x-costconsole-cost-usd"] = outcome.Cost.ToString("0.##########", CultureInfo.InvariantCulture);
        headers["x-costconsole-baseline-cost-usd"] = outcome.BaselineCost.ToString("0.##########", CultureInfo.InvariantCulture);
        int fallbacks = 0, retries = 0;
        foreach (var attempt in outcome.Attempts)
        {
            fallbacks += attempt.Kind == AttemptKind.Fallback ? 1 : 0;
            retries += attempt.Kind == AttemptKind.Retry ? 1 : 0;
        }

        if (fallbacks > 0)
        {
            headers["x-costconsole-fallbacks"] = fallbacks.ToString(CultureInfo.InvariantCulture);
        }

        if (retries > 0)
        {
            headers["x-costconsole-retries"] = retries.ToString(CultureInfo.InvariantCulture);
        }

        if (outcome.Escalations > 0)
        {
            headers["x-costconsole-escalations"] = outcome.Escalations.ToString(CultureInfo.InvariantCulture);
        }

        Caching.CacheExtensions.SetCacheHeaders(response, outcome.Cache);
        if (outcome.Review == ReviewState.Open)
        {
            // The answer failed the top tier's gates too: it is in the console's review queue.
            headers["x-costconsole-review"] = "human";
        }
    }

    private static IResult ListModels(HttpContext context, ApiKeyDirectory keys, RoutingState state)
    {
        if (keys.Authenticate(context.Request.Headers.Authorization) is not { } key)
        {
            return ApiErrors.Result(ApiErrors.Unauthorized);
        }

        if (!key.Has(KeyScopes.Inference))
        {
            return ApiErrors.Result(ApiErrors.MissingScope(key.Scopes, KeyScopes.Inference));
        }

        // What this key may use, and nothing else: error messages point here instead of listing the catalogue.
        var snapshot = state.Current;
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var entries = new List<ModelListEntry> { new(ChatRequestParser.AutoModel, "model", created, "costconsole") };
        entries.AddRange(snapshot.Tiers.Where(t => key.AllowedTiers.Count == 0 || key.AllowedTiers.Contains(t)).Select(t => new ModelListEntry(t, "model", created, "costconsole")));
        foreach (var model in snapshot.Models)
        {
            if ((key.AllowedTiers.Count > 0 && !key.AllowedTiers.Contains(model.Tier))
                || (key.AllowedModels.Count > 0 && !key.AllowedModels.Contains(model.Key) && !key.AllowedModels.Contains(model.Model.Id)))
            {
                continue;
            }

            // The id routes as it is when only one provider serves it; otherwise provider/id does.
            var id = snapshot.FindModel(model.Model.Id)?.Key == model.Key ? model.Model.Id : model.Key;
            entries.Add(new ModelListEntry(id, "model", created, model.Provider.Name));
        }

        return Results.Json(new ModelList("list", entries), JsonOptions);
    }

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private sealed record ModelList(string Object, IReadOnlyList<ModelListEntry> Data);

    private sealed record ModelListEntry(string Id, string Object, long Created, string OwnedBy);
}
