using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Net.Http.Headers;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using OpenAI;
using OpenAI.Chat;

namespace CostConsole.Routing.Providers;

/// <summary>
/// Calls any OpenAI-compatible upstream through the official OpenAI client's protocol methods, so the
/// client's own body reaches the model unchanged but for the model name.
/// </summary>
public sealed class OpenAIModelInvoker : IModelInvoker, IDisposable
{
    private readonly ConcurrentDictionary<(ProviderEndpoint Provider, string Model), ChatClient> _clients = new();
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
        })
        {
            // Per-provider timeouts are the client's NetworkTimeout; the HttpClient's own would cut streams.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _transport = new HttpClientPipelineTransport(_http);
    }

    public async Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken)
    {
        var client = ClientFor(target);
        var options = new RequestOptions { CancellationToken = cancellationToken, ErrorOptions = ClientErrorBehaviors.NoThrow };
        try
        {
            var result = await client.CompleteChatAsync(BinaryContent.Create(UpstreamBody.Create(request, target.Model.Id)), options).ConfigureAwait(false);
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

    public async Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken)
    {
        var client = ClientFor(target);
        var options = new RequestOptions { CancellationToken = cancellationToken, ErrorOptions = ClientErrorBehaviors.NoThrow, BufferResponse = false };
        try
        {
            var result = await client.CompleteChatAsync(BinaryContent.Create(UpstreamBody.Create(request, target.Model.Id)), options).ConfigureAwait(false);
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

    public void Dispose()
    {
        _transport.Dispose();
        _http.Dispose();
    }

    private ChatClient ClientFor(RoutedModel target) =>
        _clients.GetOrAdd((target.Provider, target.Model.Id), static (key, self) => self.CreateClient(key.Provider, key.Model), this);

    private ChatClient CreateClient(ProviderEndpoint provider, string model)
    {
        var endpoint = provider.IsLocal
            ? new Uri(_local.BaseAddress, provider.BaseUrl)
            : new Uri(provider.BaseUrl);
        var options = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            Transport = _transport,
            NetworkTimeout = provider.Timeout,
            // Fallback to the next model is the router's decision; the client must not retry behind its back.
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
        };
        var key = string.IsNullOrEmpty(provider.ApiKey) ? "no-key" : provider.ApiKey;
        return new ChatClient(model, new ApiKeyCredential(key), options);
    }

    private static UpstreamReply Failed(int status, BinaryData body, TimeSpan? retryAfter) => new()
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
