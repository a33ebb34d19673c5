using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;

namespace CostConsole.Web.Batches;

/// <summary>
/// Serves a batch line's answer from its upstream batch's output: while a line that was sent upstream runs through the
/// pipeline, the call to the model it was sent to returns what the provider's batch answered instead of calling it again.
/// Everything else the pipeline does — admission, gates, escalation, pricing at the batch price, the ledger — is unchanged,
/// and any other call (a fallback, an escalation, a judge) goes to the provider as usual.
/// </summary>
internal sealed class UpstreamBatchAnswers(IModelInvoker inner) : IModelInvoker, IDisposable
{
    private static readonly AsyncLocal<Answer?> Current = new();

    /// <summary>Makes <paramref name="reply"/> the answer of the first call to <paramref name="modelKey"/> in this async flow.</summary>
    public static IDisposable Serve(string modelKey, UpstreamReply reply)
    {
        Current.Value = new Answer(modelKey, reply);
        return new Scope();
    }

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        Take(target) ?? inner.CompleteAsync(target, request, cancellationToken);

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        Take(target) ?? inner.CompleteAsync(target, request, options, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        inner.OpenStreamAsync(target, request, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        inner.OpenStreamAsync(target, request, options, cancellationToken);

    public Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, CancellationToken cancellationToken) =>
        inner.EmbedAsync(target, inputs, cancellationToken);

    public Task<EmbeddingReply> EmbedAsync(RoutedModel target, IReadOnlyList<string> inputs, int? dimensions, CancellationToken cancellationToken) =>
        inner.EmbedAsync(target, inputs, dimensions, cancellationToken);

    public void Dispose() => (inner as IDisposable)?.Dispose();

    private static Task<UpstreamReply>? Take(RoutedModel target) =>
        Current.Value is { } answer && answer.ModelKey == target.Key && Interlocked.Exchange(ref answer.Taken, 1) == 0
            ? Task.FromResult(answer.Reply)
            : null;

    private sealed class Answer(string modelKey, UpstreamReply reply)
    {
        public string ModelKey { get; } = modelKey;

        public UpstreamReply Reply { get; } = reply;

        public int Taken;
    }

    private sealed class Scope : IDisposable
    {
        public void Dispose() => Current.Value = null;
    }
}
