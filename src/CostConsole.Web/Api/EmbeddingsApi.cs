using CostConsole.Data.Catalogue;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Protocols.Embeddings;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Api;

/// <summary>
/// <c>POST /v1/embeddings</c>: an OpenAI embeddings request routed to an embeddings model of the catalogue (by name, by
/// tier, or <c>auto</c> for the cheapest), admitted, priced per input token and recorded like any request.
/// </summary>
internal static class EmbeddingsApi
{
    public static async Task CreateAsync(
        HttpContext context,
        EmbeddingsPipeline embeddings,
        ChatPipeline pipeline,
        ApiKeyDirectory keys,
        KeyRateLimiter limiter,
        ITokenCounter tokens,
        IOptions<CostConsoleOptions> options)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        var caller = OpenAIApi.NewCaller(context, options.Value, ClientProtocols.Embeddings);

        try
        {
            (caller, var parsed) = await OpenAIApi.AdmitAndParseAsync(
                context, caller, pipeline, keys, limiter, options.Value.MaxRequestBytes, (body, tags) => EmbeddingsRequestParser.Parse(body, tags, tokens));
            if (parsed is not { } request)
            {
                return;
            }

            using (request)
            {
                var outcome = await embeddings.EmbedAsync(request, caller, aborted);
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

                var json = outcome.Body!.ToMemory();
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
}
