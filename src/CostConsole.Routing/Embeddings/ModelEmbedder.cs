using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;

namespace CostConsole.Routing.Embeddings;

/// <summary>An OpenAI-compatible embeddings model from the catalogue, called through the host's model invoker.</summary>
internal sealed class ModelEmbedder(IModelInvoker invoker, RoutedModel model) : IEmbedder
{
    private long _calls;
    private long _failures;

    public string Name { get; } = "embeddings model " + model.Model.Id;

    public bool Local => false;

    public RoutedModel Model => model;

    /// <summary>Calls made to the model.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Calls that failed upstream or came back malformed.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    public async ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken) =>
        (await EmbedManyAsync([text], cancellationToken).ConfigureAwait(false))[0];

    public async ValueTask<IReadOnlyList<float[]>> EmbedManyAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        EmbeddingReply reply;
        try
        {
            reply = await invoker.EmbedAsync(model, texts, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            reply = EmbeddingReply.Failed(UpstreamFailure.ServerError, ex.Message);
        }

        if (reply.IsSuccess && reply.Vectors.Count != texts.Count)
        {
            reply = EmbeddingReply.Failed(UpstreamFailure.ServerError, $"{reply.Vectors.Count} vectors came back for {texts.Count} inputs");
        }

        if (!reply.IsSuccess)
        {
            Interlocked.Increment(ref _failures);
            throw new EmbeddingException(reply.Error ?? reply.Failure.ToString());
        }

        foreach (var vector in reply.Vectors)
        {
            EmbeddingVectors.Normalise(vector);
        }

        return reply.Vectors;
    }
}
