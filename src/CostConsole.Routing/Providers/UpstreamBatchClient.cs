#pragma warning disable OPENAI001 // The official client's batch calls are marked experimental.
using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using CostConsole.Routing.Catalogue;
using OpenAI;
using OpenAI.Batch;
using OpenAI.Files;

namespace CostConsole.Routing.Providers;

/// <summary>An upstream batch as the provider reports it.</summary>
/// <param name="Status">One of OpenAI's batch statuses.</param>
public sealed record UpstreamBatchState(string Status, string? OutputFileId, string? ErrorFileId)
{
    /// <summary>The provider will do no more with it: its output and error files are final.</summary>
    public bool IsFinished => Status is "completed" or "failed" or "expired" or "cancelled";
}

/// <summary>
/// A provider's own batch interface (OpenAI's <c>/files</c> and <c>/batches</c>) through the official client's file
/// and batch clients: upload a JSONL file of chat requests, create the batch, read its status, download its files.
/// </summary>
public sealed class UpstreamBatchClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly HttpClientPipelineTransport _transport;
    private readonly ILocalServerAddress _local;

    public UpstreamBatchClient(ILocalServerAddress local, HttpMessageHandler? handler = null)
    {
        _local = local;
        _http = new HttpClient(handler ?? new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = Timeout.InfiniteTimeSpan };
        _transport = new HttpClientPipelineTransport(_http);
    }

    /// <summary>Uploads <paramref name="jsonl"/> with purpose=batch and creates a 24-hour batch on it; returns the provider's batch id.</summary>
    public async Task<string> SubmitAsync(ProviderEndpoint provider, BinaryData jsonl, string filename, CancellationToken cancellationToken)
    {
        var client = Client(provider);
        OpenAIFile file = await client.GetOpenAIFileClient().UploadFileAsync(jsonl, filename, FileUploadPurpose.Batch).WaitAsync(cancellationToken).ConfigureAwait(false);
        var body = BinaryData.FromObjectAsJson(new { input_file_id = file.Id, endpoint = "/v1/chat/completions", completion_window = "24h" });
        var operation = await client.GetBatchClient().CreateBatchAsync(BinaryContent.Create(body), waitUntilCompleted: false, new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
        return operation.BatchId;
    }

    public async Task<UpstreamBatchState> GetAsync(ProviderEndpoint provider, string batchId, CancellationToken cancellationToken)
    {
        var operation = await CreateBatchOperation.RehydrateAsync(Client(provider).GetBatchClient(), batchId, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(operation.GetRawResponse().Content);
        var root = document.RootElement;
        return new UpstreamBatchState(
            root.GetProperty("status").GetString() ?? "failed",
            root.TryGetProperty("output_file_id", out var output) && output.ValueKind == JsonValueKind.String ? output.GetString() : null,
            root.TryGetProperty("error_file_id", out var error) && error.ValueKind == JsonValueKind.String ? error.GetString() : null);
    }

    public async Task<BinaryData> DownloadAsync(ProviderEndpoint provider, string fileId, CancellationToken cancellationToken) =>
        (await Client(provider).GetOpenAIFileClient().DownloadFileAsync(fileId, cancellationToken).ConfigureAwait(false)).Value;

    public async Task CancelAsync(ProviderEndpoint provider, string batchId, CancellationToken cancellationToken)
    {
        var operation = await CreateBatchOperation.RehydrateAsync(Client(provider).GetBatchClient(), batchId, cancellationToken).ConfigureAwait(false);
        await operation.CancelAsync(new RequestOptions { CancellationToken = cancellationToken }).ConfigureAwait(false);
    }

    /// <summary>
    /// The body a batch line sends upstream for <paramref name="target"/>: the client's request as the pipeline would
    /// send it to that model, logprobs included when the tier's confidence gate reads them.
    /// </summary>
    public static BinaryData RequestBody(Decisions.RoutingSnapshot snapshot, Decisions.RoutedModel target, Requests.ChatRequest request) =>
        UpstreamBody.Create(request, target.Model.Id, new UpstreamOptions(
            snapshot.Escalation.For(target.TierIndex)?.NeedsLogprobs == true && target.Model.Capabilities.HasFlag(ModelCapabilities.Logprobs)));

    /// <summary>
    /// One line's result from an upstream batch's output or error file, read as a call to the model would have been:
    /// usage from the provider's answer (counted here when it gave none), failures classified by status.
    /// </summary>
    public static UpstreamReply Reply(int status, BinaryData body, long promptTokens, Tokens.ITokenCounter tokens)
    {
        if (status is < 200 or >= 300)
        {
            return OpenAIModelInvoker.Failed(status, body, null);
        }

        var facts = ResponseInspector.Inspect(body.ToMemory().Span);
        if (facts.ChoiceCount == 0)
        {
            return new UpstreamReply { Status = 502, Body = body, Failure = UpstreamFailure.ServerError, Error = "The provider's batch answered this line without any choice." };
        }

        return new UpstreamReply
        {
            Status = status,
            Body = body,
            Usage = facts.HasUsage ? facts.Usage : new Pricing.TokenUsage(promptTokens, 0, tokens.CountTokens(facts.Content ?? string.Empty)),
            UsageEstimated = !facts.HasUsage,
            FinishReason = facts.FinishReason,
        };
    }

    public void Dispose()
    {
        _transport.Dispose();
        _http.Dispose();
    }

    private OpenAIClient Client(ProviderEndpoint provider) => new(
        OpenAIModelInvoker.Credential(provider, _local),
        new OpenAIClientOptions
        {
            Endpoint = provider.IsLocal ? new Uri(_local.BaseAddress, provider.BaseUrl) : new Uri(provider.BaseUrl),
            Transport = _transport,
            NetworkTimeout = provider.Timeout,
        });
}
