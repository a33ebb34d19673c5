using System.ClientModel;
using System.ClientModel.Primitives;
using CostConsole.Routing.Catalogue;
using OpenAI;
using OpenAI.Models;

namespace CostConsole.Routing.Providers;

/// <summary>The answer to "Test connection": the models a provider lists, or why it could not be asked.</summary>
public sealed record ProbeResult(bool Reached, IReadOnlyList<string> Models, string? Error, double LatencyMs);

/// <summary>Asks a provider for <c>GET /models</c> through the official OpenAI client, exactly as routing would reach it.</summary>
public static class ProviderProbe
{
    public static async Task<ProbeResult> ListModelsAsync(ProviderEndpoint provider, ILocalServerAddress local, CancellationToken cancellationToken)
    {
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

    private static double Elapsed(long started) => System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
