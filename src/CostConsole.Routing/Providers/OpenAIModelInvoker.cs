using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;

namespace CostConsole.Routing.Providers;

/// <summary>
/// Calls any OpenAI-compatible upstream through the official OpenAI client's protocol methods, so the
/// client's own body reaches the model unchanged but for the model name.
/// </summary>
public sealed class OpenAIModelInvoker : IModelInvoker, IDisposable
{
    private readonly ConcurrentDictionary<(ProviderEndpoint Provider, string Model), ChatClient> _clients = new();
    private readonly ConcurrentDictionary<(ProviderEndpoint Provider, string Model), EmbeddingClient> _embeddingClients = new();
    private readonly HttpClient _http;
    private readonly HttpClientPipelineTransport _transport;
    private readonly ILocalServerAddress _local;
    private readonly ITokenCounter _tokens;

    public OpenAIModelInvoker(ILocalServerAddress local, ITokenCounter tokens, HttpMessageHandler? handler = null)
    {
        _local = local;
        _tokens = tokens;
        _http = new HttpClient(handler ?? new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            MaxConnectionsPerServer = int.MaxValue,
            AutomaticDecompression = System.Net.DecompressionMethods.All,
            // An OpenAI-compatible API answers where it is asked; a redirect is the provider's failure, shown as its status,
            // and the request skips a handler it would otherwise cross every time.
            AllowAutoRedirect = false,
        })
        {
            // Per-provider timeouts are the client's NetworkTimeout; the HttpClient's own would cut streams.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _transport = new HttpClientPipelineTransport(_http);
    }

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        CompleteAsync(target, request, default, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        OpenStreamAsync(target, request, default, cancellationToken);

    public async Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, UpstreamOptions upstream, CancellationToken cancellationToken)
    {
        var client = ClientFor(target);
        var options = new RequestOptions { CancellationToken = cancellationToken, ErrorOptions = ClientErrorBehaviors.NoThrow };
        try
        {
            var result = await client.CompleteChatAsync(BinaryContent.Create(UpstreamBody.Create(request, target.Model.Id, upstream)), options).ConfigureAwait(false);
            var response = result.GetRawResponse();
            var body = response.Content;
            if (response.IsError)
            {
                return Failed(response.Status, body, RetryAfter(response));
            }

            var facts = ResponseInspector.Inspect(body.ToMemory().Span);
            if (facts.ChoiceCount == 0)
            {
                return new UpstreamReply
                {
                    Status = 502,
                    Body = body,
                    Failure = UpstreamFailure.ServerError,
                    Error = "The provider answered without any choice.",
                };
            }

            var estimated = !facts.HasUsage;
            var usage = estimated
                ? new Pricing.TokenUsage(request.PromptTokens, 0, _tokens.CountTokens(facts.Content ?? string.Empty))
                : facts.Usage;
            return new UpstreamReply
            {
                Status = response.Status,
                Body = body,
                Usage = usage,
                UsageEstimated = estimated,
                FinishReason = facts.FinishReason,
            };
        }
        catch (Exception ex) when (Classify(ex, cancellationToken) is { } failure)
        {
            return failure;
        }
    }

    public async Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, UpstreamOptions upstream, CancellationToken cancellationToken)
    {
        var client = ClientFor(target);
        var options = new RequestOptions { CancellationToken = cancellationToken, ErrorOptions = ClientErrorBehaviors.NoThrow, BufferResponse = false };
        try
        {
            var result = await client.CompleteChatAsync(BinaryContent.Create(UpstreamBody.Create(request, target.Model.Id, upstream)), options).ConfigureAwait(false);
            var response = result.GetRawResponse();
            if (response.IsError)
            {
                using (response)
                {
                    var body = await response.BufferContentAsync(cancellationToken).ConfigureAwait(false);
                    return new UpstreamStream(Failed(response.Status, body, RetryAfter(response)));
                }
            }

            return response.ContentStream is { } content
                ? new UpstreamStream(content, response)
                : new UpstreamStream(Failed(502, BinaryData.Empty, null));
        }
        catch (Exception ex) when (Classify(ex, cancellationToken) is { } failure)
        {
            return new UpstreamStream(failure);
        }
    }

    public Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        EmbedAsync(target, inputs, null, cancellationToken);

    public async Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, int? dimensions, CancellationToken cancellationToken)
    {
        var client = _embeddingClients.GetOrAdd(
            (target.Provider, target.Model.Id),
            static (key, self) => new EmbeddingClient(key.Model, self.Credential(key.Provider), self.OptionsFor(key.Provider)),
            this);
        var options = new RequestOptions { CancellationToken = cancellationToken, ErrorOptions = ClientErrorBehaviors.NoThrow };
        try
        {
            // Floats rather than the client's default base64: every OpenAI-compatible server understands them.
            var body = dimensions is { } size
                ? BinaryData.FromObjectAsJson(new { model = target.Model.Id, input = inputs, encoding_format = "float", dimensions = size })
                : BinaryData.FromObjectAsJson(new { model = target.Model.Id, input = inputs, encoding_format = "float" });
            var result = await client.GenerateEmbeddingsAsync(BinaryContent.Create(body), options).ConfigureAwait(false);
            var response = result.GetRawResponse();
            if (response.IsError)
            {
                var failed = Failed(response.Status, response.Content, null);
                return EmbeddingReply.Failed(failed.Failure, failed.Error ?? $"The provider answered {response.Status}.");
            }

            return ReadEmbeddings(response.Content, inputs.Count);
        }
        catch (Exception ex) when (Classify(ex, cancellationToken) is { } failure)
        {
            return EmbeddingReply.Failed(failure.Failure, failure.Error!);
        }
    }

    public void Dispose()
    {
        _transport.Dispose();
        _http.Dispose();
    }

    private ChatClient ClientFor(RoutedModel target) =>
        _clients.GetOrAdd((target.Provider, target.Model.Id), static (key, self) => self.CreateClient(key.Provider, key.Model), this);

    private ChatClient CreateClient(ProviderEndpoint provider, string model) => new(model, Credential(provider), OptionsFor(provider));

    private OpenAIClientOptions OptionsFor(ProviderEndpoint provider) => new()
    {
        Endpoint = provider.IsLocal ? new Uri(_local.BaseAddress, provider.BaseUrl) : new Uri(provider.BaseUrl),
        Transport = _transport,
        NetworkTimeout = provider.Timeout,
        // Fallback to the next model is the router's decision; the client must not retry behind its back.
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        // The client's own request log goes to an event source nothing reads; the ledger and telemetry record each call.
        ClientLoggingOptions = new ClientLoggingOptions { EnableLogging = false },
    };

    private ApiKeyCredential Credential(ProviderEndpoint provider) => Credential(provider, _local);

    internal static ApiKeyCredential Credential(ProviderEndpoint provider, ILocalServerAddress local) =>
        new(provider.IsLocal && local.ApiKey is { } processKey ? processKey : string.IsNullOrEmpty(provider.ApiKey) ? "no-key" : provider.ApiKey);

    /// <summary>Reads <c>data[].embedding</c> as float arrays or base64 (little-endian float32), placed by <c>index</c>.</summary>
    private static EmbeddingReply ReadEmbeddings(BinaryData body, int expected)
    {
        var vectors = new float[expected][];
        long? promptTokens = null;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (!document.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            {
                return EmbeddingReply.Failed(UpstreamFailure.ServerError, "The provider answered without a 'data' array of embeddings.");
            }

            if (document.RootElement.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
                && usage.TryGetProperty("prompt_tokens", out var prompt) && prompt.TryGetInt64(out var counted))
            {
                promptTokens = counted;
            }

            var position = 0;
            foreach (var item in data.EnumerateArray())
            {
                var index = item.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : position;
                position++;
                if (index < 0 || index >= expected || !item.TryGetProperty("embedding", out var embedding))
                {
                    continue;
                }

                vectors[index] = embedding.ValueKind switch
                {
                    JsonValueKind.Array => [.. embedding.EnumerateArray().Select(v => v.GetSingle())],
                    JsonValueKind.String => MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(embedding.GetString()!)).ToArray(),
                    _ => null!,
                };
            }
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return EmbeddingReply.Failed(UpstreamFailure.ServerError, "The provider's embeddings could not be read: " + ex.Message);
        }

        var missing = Array.FindIndex(vectors, v => v is null || v.Length == 0);
        return missing >= 0
            ? EmbeddingReply.Failed(UpstreamFailure.ServerError, $"The provider returned no embedding for input #{missing + 1} of {expected}.")
            : new EmbeddingReply { Vectors = vectors, PromptTokens = promptTokens };
    }

    internal static UpstreamReply Failed(int status, BinaryData body, TimeSpan? retryAfter) => new()
    {
        Status = status,
        Body = body,
        RetryAfter = retryAfter,
        Error = ResponseInspector.DescribeError(status, body.ToMemory().Span),
        Failure = status switch
        {
            429 => UpstreamFailure.RateLimited,
            408 or 504 => UpstreamFailure.Timeout,
            >= 400 and < 500 => UpstreamFailure.Rejected,
            _ => UpstreamFailure.ServerError,
        },
    };

    private static TimeSpan? RetryAfter(PipelineResponse response)
    {
        if (!response.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (int.TryParse(value, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return RetryConditionHeaderValue.TryParse(value, out var parsed) && parsed.Date is { } date
            ? date - DateTimeOffset.UtcNow
            : null;
    }

    private static UpstreamReply? Classify(Exception exception, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            // The client went away: not the provider's failure, and nothing to fall back for.
            return null;
        }

        return exception switch
        {
            OperationCanceledException or TimeoutException => new UpstreamReply
            {
                Status = 504,
                Body = BinaryData.Empty,
                Failure = UpstreamFailure.Timeout,
                Error = "The provider did not answer within its timeout.",
            },
            HttpRequestException or IOException or ClientResultException => new UpstreamReply
            {
                Status = 502,
                Body = BinaryData.Empty,
                Failure = UpstreamFailure.Connection,
                Error = "Could not reach the provider: " + exception.Message,
            },
            _ => null,
        };
    }
}
