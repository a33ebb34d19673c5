using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Keys;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers.Passthrough;
using CostConsole.Routing.Protocols.Responses;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Api;

/// <summary>
/// The OpenAI Responses API, <c>POST /v1/responses</c>: each request is translated into a chat completions request and
/// goes through the same router as <c>/v1/chat/completions</c> (rules, classifier, budgets, escalation, fallback,
/// ledger), then the answer is translated back into a response object or the Responses stream events. A stored
/// response (<see cref="StoredResponses"/>) is kept before the client has it, so its next request can continue it.
/// </summary>
internal static class ResponsesApi
{
    /// <summary>Names the request's fields that were accepted but not acted on (comma-separated).</summary>
    public const string IgnoredHeader = "x-costconsole-ignored-fields";

    public static IEndpointRouteBuilder MapResponsesApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/v1").MapPost("/responses", CreateAsync);
        return app.MapStoredResponsesApi();
    }

    private static async Task CreateAsync(
        HttpContext context,
        ChatPipeline pipeline,
        ApiKeyDirectory keys,
        KeyRateLimiter limiter,
        ITokenCounter tokens,
        IDbContextFactory<CostConsoleDbContext> database,
        IOptions<CostConsoleOptions> options)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        var caller = OpenAIApi.NewCaller(context, options.Value, ClientProtocols.Responses);

        try
        {
            (caller, var body) = await OpenAIApi.AdmitAsync(context, caller, pipeline, keys, limiter, options.Value.MaxRequestBytes);
            if (body is not { } admitted)
            {
                return;
            }

            var previousId = ResponsesRequestParser.PreviousResponseId(admitted.Span);
            if (await StoredResponses.ForAsync(database, caller, previousId, ResponseItems.References(admitted), aborted) is not { } storage)
            {
                await OpenAIApi.RejectAsync(context, pipeline, caller, StoredResponses.NotFound(previousId!, "previous_response_id"));
                return;
            }

            ResponsesRequest request;
            try
            {
                request = ResponsesRequestParser.Parse(admitted, context.Request.Headers[OpenAIApi.TagsHeader], tokens, storage);
            }
            catch (ChatRequestException ex)
            {
                await OpenAIApi.RejectAsync(context, pipeline, caller, ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param));
                return;
            }

            using (request)
            {
                if (request.Ignored.Count > 0)
                {
                    response.Headers[IgnoredHeader] = string.Join(", ", request.Ignored);
                }

                // A response the console keeps is translated, so its conversation is here to continue. One that continues a kept
                // one goes to a provider speaking the Responses API with the stored turns written into its input.
                if (!request.Store)
                {
                    var passed = request.PreviousResponseId is null && storage.Items.Count == 0 ? admitted : ContinuedResponsesBody.Of(admitted, storage);
                    request.Chat.Passthrough = new PassthroughRequest(NativeApis.Responses, passed);
                }

                var responseId = ResponseObject.IdFor(caller.RequestId);
                var createdAt = caller.ReceivedAt.ToUnixTimeSeconds();
                if (request.Stream)
                {
                    await StreamAsync(context, pipeline, caller, request, new ResponsesEventStream(request, responseId, createdAt), database, responseId);
                    return;
                }

                var outcome = await pipeline.CompleteAsync(request.Chat, caller, aborted);
                if (aborted.IsCancellationRequested)
                {
                    return;
                }

                OpenAIApi.SetOutcomeHeaders(response, outcome);
                if (outcome.Error is { } error)
                {
                    await ApiErrors.WriteAsync(response, error);
                    return;
                }

                if (NativeReply.TryGet(outcome.Body!.ToMemory(), out var native))
                {
                    await PassedThroughAsync(response, native, aborted);
                    return;
                }

                var json = ResponseObject.FromCompletion(request, responseId, createdAt, outcome.Model!.Model.Id, outcome.Body!.ToMemory(), outcome.Usage);
                if (request.Store)
                {
                    await StoredResponses.SaveAsync(database, caller, request, responseId, json);
                }

                response.StatusCode = StatusCodes.Status200OK;
                response.ContentType = "application/json";
                response.ContentLength = json.Length;
                await response.Body.WriteAsync(json, aborted);
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

    /// <summary>Writes the provider's own answer, in the client's API, as it came.</summary>
    internal static async Task PassedThroughAsync(HttpResponse response, ReadOnlyMemory<byte> native, CancellationToken cancellationToken)
    {
        DroppedFieldHeaders.ClearForPassthrough(response);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.ContentLength = native.Length;
        await response.Body.WriteAsync(native, cancellationToken);
    }

    private static async Task StreamAsync(
        HttpContext context, ChatPipeline pipeline, CallerContext caller, ResponsesRequest request, ResponsesEventStream events,
        IDbContextFactory<CostConsoleDbContext> database, string responseId)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        var translated = new ResponsesStreamSink(response, events);
        var sink = new PassthroughStreamSink(response, translated);
        var outcome = await pipeline.StreamAsync(request.Chat, caller, sink, aborted);
        if (outcome.Error is { } error && !sink.HasStarted && !aborted.IsCancellationRequested)
        {
            OpenAIApi.SetOutcomeHeaders(response, outcome);
            await ApiErrors.WriteAsync(response, error);
            return;
        }

        // A passed-through stream ended as the provider ended it; only a translated one is completed here.
        if (translated.Ended)
        {
            await translated.CompleteAsync(
                outcome.Usage,
                request.Store ? final => StoredResponses.SaveAsync(database, caller, request, responseId, final) : null,
                aborted);
        }
    }
}
