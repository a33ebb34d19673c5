using System.Collections.Concurrent;
using System.Text.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Tests;

/// <summary>A model that answers what the test says and remembers what it was asked.</summary>
internal sealed class FakeModelInvoker(Func<string, string>? answer = null) : IModelInvoker
{
    public ConcurrentQueue<(string Model, IReadOnlyList<ChatTurn> Messages, int? MaxTokens, string Body)> Completions { get; } = new();

    public ConcurrentQueue<IReadOnlyList<string>> Embeddings { get; } = new();

    /// <summary>When set, completions fail like an unreachable provider.</summary>
    public bool Failing { get; set; }

    public Func<string, float[]>? Embed { get; init; }

    public int CompletionCalls => Completions.Count;

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken)
    {
        Completions.Enqueue((target.Model.Id, request.Messages, request.MaxTokens, request.Root.GetRawText()));
        if (Failing)
        {
            return Task.FromResult(new UpstreamReply { Status = 503, Body = BinaryData.Empty, Failure = UpstreamFailure.ServerError, Error = "upstream 503" });
        }

        var content = (answer ?? (_ => "small"))(request.LastUserText);
        var body = JsonSerializer.Serialize(new { choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } } });
        return Task.FromResult(new UpstreamReply { Status = 200, Body = BinaryData.FromString(body) });
    }

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    public Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, CancellationToken cancellationToken)
    {
        Embeddings.Enqueue(inputs);
        if (Failing || Embed is null)
        {
            return Task.FromResult(EmbeddingReply.Failed(UpstreamFailure.ServerError, "upstream 503"));
        }

        return Task.FromResult(new EmbeddingReply { Vectors = [.. inputs.Select(Embed)] });
    }
}
