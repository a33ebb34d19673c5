using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Providers.Anthropic;

/// <summary>
/// Calls a provider that speaks Anthropic Messages through the official Anthropic client: the router's request is
/// written as a Messages body, and the answer (or each stream event) is written back as the chat completion the
/// pipeline reads, so rules, budgets, escalation, fallback and the ledger work as with any provider. Failures come
/// back as the pipeline's kinds (429 rate limited, 5xx and 529 overloaded server errors, 408/504 and no answer in
/// time a timeout, other 4xx refused, no connection), never as exceptions; the client itself never retries.
/// </summary>
public sealed class AnthropicModelInvoker : IModelInvoker, IDisposable
{
    private readonly ConcurrentDictionary<ProviderEndpoint, AnthropicClient> _clients = new();
    private readonly HttpClient _http;
    private readonly ILocalServerAddress _local;
    private readonly TimeProvider _time;

    public AnthropicModelInvoker(ILocalServerAddress local, HttpMessageHandler? handler = null, TimeProvider? time = null)
    {
        _local = local;
        _time = time ?? TimeProvider.System;
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = int.MaxValue,
            AutomaticDecompression = DecompressionMethods.All,
        })
        {
            // The provider's timeout is the client's; the HttpClient's own would cut long streams.
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        CompleteAsync(target, request, default, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        OpenStreamAsync(target, request, default, cancellationToken);

    public async Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken)
    {
        try
        {
            var message = await ClientFor(target.Provider).Messages.Create(Parameters(request, target.Model.Id), cancellationToken).ConfigureAwait(false);
            using var json = JsonSerializer.SerializeToDocument(message.RawData);
            var body = BinaryData.FromBytes(AnthropicReply.ToChatCompletion(json.RootElement, _time.GetUtcNow().ToUnixTimeSeconds()));
            var facts = ResponseInspector.Inspect(body.ToMemory().Span);
            return new UpstreamReply
            {
                Status = 200,
                Body = body,
                Usage = facts.Usage,
                UsageEstimated = !facts.HasUsage,
                FinishReason = facts.FinishReason,
            };
        }
        catch (Exception ex) when (Classify(ex, cancellationToken) is { } failure)
        {
            return failure;
        }
    }

    public async Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken)
    {
        // The call is made on the first read: read it here, so a refusal before the first event can still fall back.
        var events = ClientFor(target.Provider).Messages.CreateStreaming(Parameters(request, target.Model.Id), cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            if (!await events.MoveNextAsync().ConfigureAwait(false))
            {
                await events.DisposeAsync().ConfigureAwait(false);
                return new UpstreamStream(Failed(502, "The provider closed the stream before its first event."));
            }
        }
        catch (Exception ex) when (Classify(ex, cancellationToken) is { } failure)
        {
            await events.DisposeAsync().ConfigureAwait(false);
            return new UpstreamStream(failure);
        }

        return new UpstreamStream(ChunksAsync(events, new AnthropicChunks(_time.GetUtcNow().ToUnixTimeSeconds()), cancellationToken), events);
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        _http.Dispose();
    }

    /// <summary>The current event and each after it, as chunks; a broken stream surfaces as the <see cref="IOException"/> the relay expects.</summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> ChunksAsync(
        IAsyncEnumerator<RawMessageStreamEvent> events,
        AnthropicChunks chunks,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var stopped = false;
        while (true)
        {
            foreach (var chunk in chunks.Translate(events.Current.Json))
            {
                yield return chunk;
            }

            if (AnthropicReply.String(events.Current.Json, "type") == "message_stop")
            {
                stopped = true;
            }

            bool more;
            try
            {
                more = await events.MoveNextAsync().ConfigureAwait(false);
            }
            catch (AnthropicException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new IOException("The provider's stream broke: " + ex.Message, ex);
            }

            if (!more)
            {
                break;
            }
        }

        if (!stopped)
        {
            throw new IOException("The provider closed the stream before it finished.");
        }
    }

    internal static MessageCreateParams Parameters(ChatRequest request, string model)
    {
        using var body = JsonDocument.Parse(AnthropicRequestBody.Create(request.Root, model));
        var fields = body.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone(), StringComparer.Ordinal);
        return MessageCreateParams.FromRawUnchecked(new Dictionary<string, JsonElement>(), new Dictionary<string, JsonElement>(), fields);
    }

    private AnthropicClient ClientFor(ProviderEndpoint provider) =>
        _clients.GetOrAdd(provider, static (provider, self) => new AnthropicClient(new ClientOptions
        {
            HttpClient = self._http,
            BaseUrl = BaseUrl(provider, self._local),
            ApiKey = provider.IsLocal && self._local.ApiKey is { } processKey ? processKey : string.IsNullOrEmpty(provider.ApiKey) ? "no-key" : provider.ApiKey,
            Timeout = provider.Timeout,
            // Retrying and falling back are the router's decisions.
            MaxRetries = 0,
            Handlers = [new ApiKeyHeader()],
        }), this);

    /// <summary>
    /// The client adds <c>/v1/messages</c> itself; a base URL ending in <c>/v1</c> (as OpenAI-compatible ones do, and the
    /// simulator's <c>/sim/v1</c>) is taken without it, so the same URL works whichever protocol the provider is set to.
    /// </summary>
    internal static string BaseUrl(ProviderEndpoint provider, ILocalServerAddress local)
    {
        var url = (provider.IsLocal ? new Uri(local.BaseAddress, provider.BaseUrl).ToString() : provider.BaseUrl).TrimEnd('/');
        return url.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? url[..^3] : url;
    }

    private static UpstreamReply Failed(int status, string error) => new()
    {
        Status = status,
        Body = BinaryData.FromObjectAsJson(new { error = new { message = error, type = "upstream_error" } }),
        Error = error,
        Failure = status switch
        {
            429 => UpstreamFailure.RateLimited,
            408 or 504 => UpstreamFailure.Timeout,
            >= 400 and < 500 => UpstreamFailure.Rejected,
            _ => UpstreamFailure.ServerError,
        },
    };

    private static UpstreamReply? Classify(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // The client went away: not the provider's failure, and nothing to fall back for.
            return null;
        }

        return exception switch
        {
            AnthropicApiException api => Failed((int)api.StatusCode, Describe(api)),
            OperationCanceledException or TimeoutException => Failed(504, "The provider did not answer within its timeout."),
            AnthropicIOException or HttpRequestException or IOException => new UpstreamReply
            {
                Status = 502,
                Body = BinaryData.Empty,
                Failure = UpstreamFailure.Connection,
                Error = "Could not reach the provider: " + exception.Message,
            },
            AnthropicException or JsonException => Failed(502, "The provider's answer could not be read: " + exception.Message),
            _ => null,
        };
    }

    /// <summary>The provider's own message (<c>{"error": {"message"}}</c>) with its status.</summary>
    private static string Describe(AnthropicApiException exception)
    {
        var status = (int)exception.StatusCode;
        return ResponseInspector.DescribeError(status, System.Text.Encoding.UTF8.GetBytes(exception.ResponseBody ?? ""));
    }

    /// <summary>
    /// Sends the key as <c>x-api-key</c>, the header Anthropic documents for API keys (and the one gateways and the
    /// simulator read), where the client would send it as a bearer token.
    /// </summary>
    private sealed class ApiKeyHeader : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (!request.Headers.Contains("x-api-key") && request.Headers.Authorization is { Scheme: "Bearer", Parameter: { Length: > 0 } key })
            {
                request.Headers.Authorization = null;
                request.Headers.TryAddWithoutValidation("x-api-key", key);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
