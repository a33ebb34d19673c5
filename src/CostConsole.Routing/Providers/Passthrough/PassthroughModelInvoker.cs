using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers.Anthropic;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Providers.Passthrough;

/// <summary>
/// Passes a Responses or Messages request through to a provider that speaks that API itself
/// (<see cref="ProviderEndpoint.PassesThrough"/>): the client's body goes to the provider's <c>/responses</c> or
/// <c>/v1/messages</c> with only the model changed, and the answer (or each stream event) comes back with the chat
/// completion the router reads beside it (<see cref="NativeReply"/>), so budgets, gates, the cache and the ledger work
/// as for any answer. Every other call — another API, a provider that does not speak it — goes to <paramref name="inner"/>
/// and is translated as before, so fallback from a passing-through provider to a chat-only one works unchanged.
/// </summary>
public sealed class PassthroughModelInvoker(IModelInvoker inner, ILocalServerAddress local, HttpMessageHandler? handler = null, TimeProvider? time = null)
    : IModelInvoker, IDisposable
{
    private const string DefaultAnthropicVersion = "2023-06-01";

    private readonly HttpClient _http = new(handler ?? new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        MaxConnectionsPerServer = int.MaxValue,
        AutomaticDecompression = DecompressionMethods.All,
    })
    {
        // The provider's timeout applies per call; the HttpClient's own would cut long streams.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        CompleteAsync(target, request, default, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        OpenStreamAsync(target, request, default, cancellationToken);

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        Native(target, request) is { } native ? PassAsync(target, native, cancellationToken) : inner.CompleteAsync(target, request, options, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        Native(target, request) is { } native ? PassStreamAsync(target, native, cancellationToken) : inner.OpenStreamAsync(target, request, options, cancellationToken);

    public Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        inner.EmbedAsync(target, inputs, cancellationToken);

    public Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, int? dimensions, CancellationToken cancellationToken) =>
        inner.EmbedAsync(target, inputs, dimensions, cancellationToken);

    public void Dispose()
    {
        _http.Dispose();
        (inner as IDisposable)?.Dispose();
    }

    private static PassthroughRequest? Native(RoutedModel target, ChatRequest request) =>
        request.Passthrough is { } native && target.Provider.PassesThrough(native.Api) ? native : null;

    private async Task<UpstreamReply> PassAsync(RoutedModel target, PassthroughRequest native, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.Provider.Timeout);
        try
        {
            using var message = Message(target, native);
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return OpenAIModelInvoker.Failed((int)response.StatusCode, BinaryData.FromBytes(bytes), RetryAfter(response));
            }

            // A whole reply that is not JSON (a proxy's maintenance page, say) is the provider's failure, not an answer:
            // the JSON exception is classified as a bad gateway below, and another model may still answer.
            var created = _time.GetUtcNow().ToUnixTimeSeconds();
            byte[] chat;
            using (var document = JsonDocument.Parse(bytes))
            {
                chat = ToChatCompletion(native.Api, document.RootElement, created);
            }

            var body = NativeReply.Carry(chat, bytes);

            var facts = ResponseInspector.Inspect(chat);
            return new UpstreamReply
            {
                Status = 200,
                Body = BinaryData.FromBytes(body),
                Usage = facts.Usage,
                UsageEstimated = !facts.HasUsage,
                FinishReason = facts.FinishReason,
                PassedThrough = true,
            };
        }
        catch (Exception ex) when (Classify(ex, cancellationToken) is { } failure)
        {
            return failure;
        }
    }

    private static byte[] ToChatCompletion(NativeApis api, JsonElement reply, long created) =>
        api == NativeApis.Responses ? ResponsesNative.ToChatCompletion(reply, created) : AnthropicReply.ToChatCompletion(reply, created);

    private async Task<UpstreamStream> PassStreamAsync(RoutedModel target, PassthroughRequest native, CancellationToken cancellationToken)
    {
        HttpResponseMessage? response = null;
        try
        {
            // The provider's timeout bounds the wait for its answer to begin; the relay watches the stream after that.
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                timeout.CancelAfter(target.Provider.Timeout);
                using var message = Message(target, native);
                response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    var bytes = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                    var failed = OpenAIModelInvoker.Failed((int)response.StatusCode, BinaryData.FromBytes(bytes), RetryAfter(response));
                    response.Dispose();
                    return new UpstreamStream(failed);
                }
            }

            var content = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var owner = new ResponseOwner(response);
            return new UpstreamStream(EventsAsync(content, native.Api, cancellationToken), owner) { PassedThrough = true };
        }
        catch (Exception ex) when (Classify(ex, cancellationToken) is { } failure)
        {
            response?.Dispose();
            return new UpstreamStream(failure);
        }
    }

    /// <summary>
    /// Each server-sent event as a chunk carrying it, followed by the chunks it reads as; a stream that ends before the
    /// API's last event, or with an error event, surfaces as the <see cref="IOException"/> the relay expects. The
    /// provider's own error event is carried to the client first, as the provider sent it, unless it is the very first
    /// event: then nothing has reached the client and another model may still answer.
    /// </summary>
    private async IAsyncEnumerable<ReadOnlyMemory<byte>> EventsAsync(Stream content, NativeApis api, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var created = _time.GetUtcNow().ToUnixTimeSeconds();
        var responses = api == NativeApis.Responses ? new ResponsesNative(created) : null;
        var messages = api == NativeApis.Messages ? new AnthropicChunks(created) : null;
        var finished = false;
        var carried = false;
        using var reader = new StreamReader(content, Encoding.UTF8);
        var data = new StringBuilder();
        while (!finished)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null || line.Length == 0)
            {
                if (data.Length > 0)
                {
                    var (carrier, chunks, last, failure) = Read(data.ToString(), responses, messages);
                    data.Clear();
                    finished = last;
                    if (failure is not null && !carried)
                    {
                        throw new IOException("The provider ended the stream with an error: " + failure);
                    }

                    yield return carrier;
                    carried = true;
                    foreach (var chunk in chunks)
                    {
                        yield return chunk;
                    }

                    if (failure is not null)
                    {
                        throw new IOException("The provider ended the stream with an error: " + failure);
                    }
                }

                if (line is null)
                {
                    break;
                }

                continue;
            }

            if (line.StartsWith("data:", StringComparison.Ordinal))
            {
                if (data.Length > 0)
                {
                    data.Append('\n');
                }

                data.Append(line.AsSpan(5).TrimStart(' '));
            }
        }

        if (!finished)
        {
            throw new IOException("The provider closed the stream before it finished.");
        }
    }

    /// <summary>
    /// One event: the chunk carrying it, the chunks it reads as, whether it ends the stream, and the provider's error
    /// message if it is one. An event that is not JSON is carried as it came and reads as nothing.
    /// </summary>
    private static (byte[] Carrier, IReadOnlyList<byte[]> Chunks, bool Last, string? Failure) Read(string data, ResponsesNative? responses, AnthropicChunks? messages)
    {
        var payload = Encoding.UTF8.GetBytes(data);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload);
        }
        catch (JsonException)
        {
            return (NativeReply.TextCarrier(payload), [], false, null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (responses is not null)
            {
                var chunks = responses.Translate(root);
                return (NativeReply.Carrier(payload), chunks, responses.Finished, responses.Failure);
            }

            var type = NativeReply.String(root, "type");
            if (type == "error")
            {
                // Anthropic's mid-stream error: {"type":"error","error":{"type","message"}}.
                var error = root.TryGetProperty("error", out var e) ? NativeReply.String(e, "message") : null;
                return (NativeReply.Carrier(payload), [], false, error ?? "no message");
            }

            return (NativeReply.Carrier(payload), messages!.Translate(root), type == "message_stop", null);
        }
    }

    private HttpRequestMessage Message(RoutedModel target, PassthroughRequest native)
    {
        var provider = target.Provider;
        var key = provider.IsLocal && local.ApiKey is { } processKey ? processKey : provider.ApiKey;
        var request = new HttpRequestMessage(HttpMethod.Post, Url(provider, native.Api))
        {
            Content = new ByteArrayContent(native.BodyFor(target.Model.Id)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (native.Api == NativeApis.Messages)
        {
            if (!string.IsNullOrEmpty(key))
            {
                request.Headers.TryAddWithoutValidation("x-api-key", key);
            }

            request.Headers.TryAddWithoutValidation("anthropic-version", string.IsNullOrWhiteSpace(native.AnthropicVersion) ? DefaultAnthropicVersion : native.AnthropicVersion);
        }
        else if (!string.IsNullOrEmpty(key))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return request;
    }

    /// <summary>
    /// A Responses provider's base URL is its OpenAI-compatible one (<c>…/v1</c>), to which <c>/responses</c> is added; a
    /// Messages provider's is taken as the Anthropic client takes it, with or without <c>/v1</c>.
    /// </summary>
    internal Uri Url(ProviderEndpoint provider, NativeApis api)
    {
        if (api == NativeApis.Messages)
        {
            return new Uri(AnthropicModelInvoker.BaseUrl(provider, local) + "/v1/messages");
        }

        var url = (provider.IsLocal ? new Uri(local.BaseAddress, provider.BaseUrl).ToString() : provider.BaseUrl).TrimEnd('/');
        return new Uri(url + "/responses");
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
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
            OperationCanceledException or TimeoutException => OpenAIModelInvoker.Failed(504, BinaryData.FromString("The provider did not answer within its timeout."), null),
            HttpRequestException or IOException => new UpstreamReply
            {
                Status = 502,
                Body = BinaryData.Empty,
                Failure = UpstreamFailure.Connection,
                Error = "Could not reach the provider: " + exception.Message,
            },
            JsonException => OpenAIModelInvoker.Failed(502, BinaryData.FromString("The provider's answer is not JSON: " + exception.Message), null),
            _ => null,
        };
    }

    /// <summary>Disposes the provider's response when the relay is done with its stream.</summary>
    private sealed class ResponseOwner(HttpResponseMessage response) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            response.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
