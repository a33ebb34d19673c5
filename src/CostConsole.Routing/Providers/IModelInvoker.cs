using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Providers;

/// <summary>Calls one model of one provider. Fallback across models is the pipeline's job, not the invoker's.</summary>
public interface IModelInvoker
{
    Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken);

    /// <summary>Opens a stream; a failure before the first event comes back as <see cref="UpstreamStream.Failure"/>.</summary>
    Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken);

    /// <summary>As <see cref="CompleteAsync(RoutedModel, ChatRequest, CancellationToken)"/>, with what the router itself needs of the answer.</summary>
    Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        CompleteAsync(target, request, cancellationToken);

    /// <summary>As <see cref="OpenStreamAsync(RoutedModel, ChatRequest, CancellationToken)"/>, with what the router itself needs of the answer.</summary>
    Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        OpenStreamAsync(target, request, cancellationToken);

    /// <summary>
    /// Embeds <paramref name="inputs"/> with an embeddings model, one vector per input in order. Failures come back
    /// as <see cref="EmbeddingReply.Failure"/>; invokers that cannot embed say so the same way.
    /// </summary>
    Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        Task.FromResult(EmbeddingReply.Failed(UpstreamFailure.Rejected, $"This invoker cannot call embeddings models such as '{target.Key}'."));

    /// <summary>
    /// As <see cref="EmbedAsync(RoutedModel, IReadOnlyList{string}, CancellationToken)"/>, asking for vectors of
    /// <paramref name="dimensions"/> (the client's <c>dimensions</c>, passed through) when it is set.
    /// </summary>
    Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, int? dimensions, CancellationToken cancellationToken) =>
        dimensions is null
            ? EmbedAsync(target, inputs, cancellationToken)
            : Task.FromResult(EmbeddingReply.Failed(UpstreamFailure.Rejected, $"This invoker cannot ask '{target.Key}' for {dimensions}-dimensional embeddings."));
}

/// <summary>What the router asks of an upstream call beyond the client's request.</summary>
/// <param name="Logprobs">Ask for token logprobs (a confidence gate reads them), whatever the client asked.</param>
public readonly record struct UpstreamOptions(bool Logprobs);

/// <summary>Where this process itself listens, for providers served in-process (the simulator).</summary>
public interface ILocalServerAddress
{
    Uri BaseAddress { get; }

    /// <summary>The key in-process providers accept from this process, sent instead of the provider's own; null sends the provider's.</summary>
    string? ApiKey => null;
}
