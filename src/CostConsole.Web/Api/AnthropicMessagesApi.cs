using System.Globalization;
using System.Text.Json;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Keys;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers.Passthrough;
using CostConsole.Routing.Protocols.Messages;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Api;

/// <summary>
/// The Anthropic Messages surface: point an Anthropic client's base URL at the console (the client adds <c>/v1/messages</c>).
/// Requests go through the same router and pipeline as chat completions; only the wire format differs.
/// </summary>
internal static class AnthropicMessagesApi
{
    /// <summary>Names the request fields that were accepted but left out, because the routed models cannot honour them.</summary>
    public const string WarningHeader = "x-costconsole-warning";

    public static IEndpointRouteBuilder MapAnthropicMessagesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/messages");
        api.MapPost("", MessagesAsync);
        api.MapPost("/count_tokens", CountTokensAsync);
        return app;
    }

    private static async Task MessagesAsync(
        HttpContext context,
        ChatPipeline pipeline,
        ApiKeyDirectory keys,
        KeyRateLimiter limiter,
        ITokenCounter tokens,
        IOptions<CostConsoleOptions> options)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        var caller = OpenAIApi.NewCaller(context, options.Value, ClientProtocols.Messages);
        response.Headers["request-id"] = caller.RequestId;

        try
        {
            if (Admit(context.Request, keys, out var key) is { } refused)
            {
                caller = caller with { ApiKeyId = key?.Id };
                await RejectAsync(context, pipeline, caller, refused);
                return;
            }

            var admitted = key!;
            caller = OpenAIApi.ForKey(caller, admitted, context.Request);
            if (await limiter.TryAcquireAsync(admitted) is { } retryAfter)
            {
                response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
                await RejectAsync(context, pipeline, caller, ApiErrors.RateLimited(admitted, retryAfter));
                return;
            }

            var (parsed, error) = await ReadAsync(context, tokens, options.Value.MaxRequestBytes, counting: false);
            if (parsed is null)
            {
                await RejectAsync(context, pipeline, caller, error!);
                return;
            }

            using (parsed)
            {
                var request = parsed.Request;
                if (parsed.Dropped.Count > 0)
                {
                    response.Headers[WarningHeader] = $"Ignored fields the routed models cannot honour: {string.Join(", ", parsed.Dropped)}.";
                }

                var messageId = MessagesResponse.MessageId(caller.RequestId);
                if (request.Stream)
                {
                    var sink = new PassthroughStreamSink(response, new MessagesStreamSink(response, new MessagesStream(messageId, request.PromptTokens, tokens, MessagesResponse.StopSequences(request))));
                    var streamed = await pipeline.StreamAsync(request, caller, sink, aborted);
                    if (streamed.Error is { } streamError && !sink.HasStarted && !aborted.IsCancellationRequested)
                    {
                        OpenAIApi.SetOutcomeHeaders(response, streamed);
                        await WriteErrorAsync(response, streamError);
                    }

                    return;
                }

                var outcome = await pipeline.CompleteAsync(request, caller, aborted);
                if (aborted.IsCancellationRequested)
                {
                    return;
                }

                OpenAIApi.SetOutcomeHeaders(response, outcome);
                if (outcome.Error is { } failure)
                {
                    await WriteErrorAsync(response, failure);
                    return;
                }

                if (NativeReply.TryGet(outcome.Body!.ToMemory(), out var native))
                {
                    await ResponsesApi.PassedThroughAsync(response, native, aborted);
                    return;
                }

                var body = MessagesResponse.FromChatCompletion(outcome.Body!.ToMemory().Span, messageId, outcome.Model?.Model.Id ?? request.Model, outcome.Usage, MessagesResponse.StopSequences(request));
                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/json";
                response.ContentLength = body.Length;
                await response.Body.WriteAsync(body, aborted);
            }
        }
        catch (LedgerUnavailableException) when (!response.HasStarted)
        {
            await WriteErrorAsync(response, ApiErrors.LedgerUnavailable);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            // The client went away; the pipeline has recorded what happened.
        }
    }

    /// <summary>The prompt's tokens as the gateway counts them for routing, budgets and the ledger: no model is called and nothing is recorded.</summary>
    private static async Task CountTokensAsync(HttpContext context, ApiKeyDirectory keys, ITokenCounter tokens, IOptions<CostConsoleOptions> options)
    {
        var response = context.Response;
        if (Admit(context.Request, keys, out _) is { } refused)
        {
            await WriteErrorAsync(response, refused);
            return;
        }

        var (parsed, error) = await ReadAsync(context, tokens, options.Value.MaxRequestBytes, counting: true);
        if (parsed is null)
        {
            await WriteErrorAsync(response, error!);
            return;
        }

        using (parsed)
        {
            var count = parsed.Request.CountPromptTokens(context.RequestAborted);
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = "application/json";
            await response.WriteAsync(JsonSerializer.Serialize(new { input_tokens = count }), context.RequestAborted);
        }
    }

    /// <summary>
    /// Checks the API key (<c>x-api-key</c>, as Anthropic clients send it, or <c>Authorization: Bearer</c>), its inference
    /// scope, and the <c>anthropic-version</c> header Anthropic requires (any version is accepted: the format is the same).
    /// </summary>
    private static ChatError? Admit(HttpRequest request, ApiKeyDirectory keys, out ApiKeyInfo? key)
    {
        var apiKey = request.Headers["x-api-key"].ToString();
        key = keys.Authenticate(apiKey.Length > 0 ? "Bearer " + apiKey : request.Headers.Authorization.ToString());
        if (key is null)
        {
            return new ChatError(401, "authentication_error", "invalid_api_key",
                "Missing or unknown API key. Send 'x-api-key: <key>' (or 'Authorization: Bearer <key>') with a key created in CostConsole.");
        }

        if (!key.Has(KeyScopes.Inference))
        {
            return ApiErrors.MissingScope(key.Scopes, KeyScopes.Inference);
        }

        if (string.IsNullOrWhiteSpace(request.Headers["anthropic-version"]))
        {
            return ChatError.InvalidRequest("missing_anthropic_version", "The 'anthropic-version' header is required, e.g. 'anthropic-version: 2023-06-01'. Anthropic's SDKs send it.");
        }

        return ApiErrors.NotJson(request);
    }

    private static async Task<(MessagesRequest? Request, ChatError? Error)> ReadAsync(HttpContext context, ITokenCounter tokens, long maxBytes, bool counting)
    {
        var body = await OpenAIApi.ReadBodyAsync(context.Request, maxBytes, context.RequestAborted);
        if (body is null)
        {
            return (null, ApiErrors.TooLarge(maxBytes));
        }

        try
        {
            var parsed = MessagesRequestParser.Parse(body.Value, context.Request.Headers[OpenAIApi.TagsHeader], tokens, counting);
            if (!counting)
            {
                parsed.Request.Passthrough = new PassthroughRequest(NativeApis.Messages, body.Value, context.Request.Headers["anthropic-version"]);
            }

            return (parsed, null);
        }
        catch (ChatRequestException ex)
        {
            return (null, ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param));
        }
    }

    private static async Task RejectAsync(HttpContext context, ChatPipeline pipeline, CallerContext caller, ChatError error)
    {
        await pipeline.RejectAsync(caller, error, null, false);
        await WriteErrorAsync(context.Response, error);
    }

    private static async Task WriteErrorAsync(HttpResponse response, ChatError error)
    {
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        await response.Body.WriteAsync(MessagesErrors.Serialize(error));
    }
}
