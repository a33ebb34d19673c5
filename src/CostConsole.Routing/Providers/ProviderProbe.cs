using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Providers.Anthropic;
using OpenAI;
using OpenAI.Models;

namespace CostConsole.Routing.Providers;

/// <summary>The answer to "Test connection": the models a provider lists, or why it could not be asked.</summary>
public sealed record ProbeResult(bool Reached, IReadOnlyList<string> Models, string? Error, double LatencyMs);

/// <summary>
/// Asks a provider for its models as routing would reach it: <c>GET /models</c> through the official OpenAI client, or,
/// for a provider that speaks Anthropic Messages, Anthropic's <c>GET /v1/models</c> with its <c>x-api-key</c> and
/// <c>anthropic-version</c> headers.
/// </summary>
public static class ProviderProbe
{
    /// <summary>The Messages API version the probe asks for, as Anthropic's clients send it.</summary>
    private const string AnthropicVersion = "2023-06-01";

    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };

    public static async Task<ProbeResult> ListModelsAsync(ProviderEndpoint provider, ILocalServerAddress local, CancellationToken cancellationToken)
    {
        if (provider.Protocol == ProviderProtocol.Anthropic)
        {
            return await ListAnthropicModelsAsync(provider, local, cancellationToken).ConfigureAwait(false);
        }

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var endpoint = provider.IsLocal ? new Uri(local.BaseAddress, provider.BaseUrl) : new Uri(provider.BaseUrl);
            var client = new OpenAIModelClient(
                OpenAIModelInvoker.Credential(provider, local),
                new OpenAIClientOptions { Endpoint = endpoint, NetworkTimeout = provider.Timeout, RetryPolicy = new ClientRetryPolicy(maxRetries: 0) });
            var models = await client.GetModelsAsync(cancellationToken).ConfigureAwait(false);
            return new ProbeResult(true, [.. models.Value.Select(m => m.Id).Order(StringComparer.Ordinal)], null, Elapsed(started));
        }
        catch (ClientResultException ex)
        {
            var detail = ex.GetRawResponse() is { } response ? ResponseInspector.DescribeError(response.Status, response.Content.ToMemory().Span) : ex.Message;
            return new ProbeResult(false, [], $"The provider answered with an error: {detail}", Elapsed(started));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UriFormatException or InvalidOperationException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = ex is OperationCanceledException ? $"no answer within {provider.Timeout.TotalSeconds:0} s" : ex.Message;
            return new ProbeResult(false, [], $"Could not reach {provider.BaseUrl}: {reason}", Elapsed(started));
        }
    }

    /// <summary>Anthropic's model list, page by page (<c>has_more</c>, <c>after_id</c>).</summary>
    private static async Task<ProbeResult> ListAnthropicModelsAsync(ProviderEndpoint provider, ILocalServerAddress local, CancellationToken cancellationToken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var baseUrl = AnthropicModelInvoker.BaseUrl(provider, local);
        var key = provider.IsLocal && local.ApiKey is { } processKey ? processKey : provider.ApiKey;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(provider.Timeout);
        var models = new List<string>();
        string? after = null;
        try
        {
            // A bounded number of pages: a provider that always says there is more cannot hold the dialog.
            for (var page = 0; page < 20; page++)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"{baseUrl}/v1/models?limit=1000{(after is null ? "" : "&after_id=" + Uri.EscapeDataString(after))}");
                request.Headers.TryAddWithoutValidation("anthropic-version", AnthropicVersion);
                if (!string.IsNullOrEmpty(key))
                {
                    request.Headers.TryAddWithoutValidation("x-api-key", key);
                }

                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                using var response = await Http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                var body = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    return new ProbeResult(false, [], $"The provider answered with an error: {ResponseInspector.DescribeError((int)response.StatusCode, body)}", Elapsed(started));
                }

                using var json = JsonDocument.Parse(body);
                if (!json.RootElement.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
                {
                    return new ProbeResult(false, [], $"{baseUrl}/v1/models did not answer with Anthropic's model list (no 'data' array): is the provider's protocol right?", Elapsed(started));
                }

                foreach (var model in data.EnumerateArray())
                {
                    if (model.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                    {
                        models.Add(id.GetString()!);
                    }
                }

                var more = json.RootElement.TryGetProperty("has_more", out var hasMore) && hasMore.ValueKind == JsonValueKind.True;
                after = json.RootElement.TryGetProperty("last_id", out var last) && last.ValueKind == JsonValueKind.String ? last.GetString() : null;
                if (!more || after is null)
                {
                    break;
                }
            }

            return new ProbeResult(true, [.. models.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)], null, Elapsed(started));
        }
        catch (JsonException)
        {
            return new ProbeResult(false, [], $"{baseUrl}/v1/models did not answer with JSON: is the base URL the provider's API?", Elapsed(started));
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or UriFormatException or InvalidOperationException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = ex is OperationCanceledException ? $"no answer within {provider.Timeout.TotalSeconds:0} s" : ex.Message;
            return new ProbeResult(false, [], $"Could not reach {baseUrl}: {reason}", Elapsed(started));
        }
    }

    private static double Elapsed(long started) => System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
