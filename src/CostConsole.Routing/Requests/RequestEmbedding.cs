using CostConsole.Routing.Embeddings;

namespace CostConsole.Routing.Requests;

/// <summary>
/// A request's embedding by one embedder, started by whichever part asks first and shared with every part that asks
/// after (the classifier now, a response cache later), so a request is embedded at most once.
/// </summary>
internal sealed class RequestEmbedding
{
    private readonly TaskCompletionSource<float[]> _vector = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RequestEmbedding(IEmbedder embedder) => Embedder = embedder;

    public IEmbedder Embedder { get; }

    public void Start(string text, CancellationToken cancellationToken)
    {
        try
        {
            var pending = Embedder.EmbedAsync(text, cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                _vector.TrySetResult(pending.Result);
            }
            else
            {
                _ = CompleteAsync(pending);
            }
        }
        catch (OperationCanceledException ex)
        {
            _vector.TrySetCanceled(ex.CancellationToken);
        }
        catch (Exception ex)
        {
            _vector.TrySetException(ex);
        }
    }

    public ValueTask<float[]> GetAsync(CancellationToken cancellationToken)
    {
        var task = _vector.Task;
        return task.IsCompletedSuccessfully ? ValueTask.FromResult(task.Result) : new ValueTask<float[]>(task.WaitAsync(cancellationToken));
    }

    private async Task CompleteAsync(ValueTask<float[]> pending)
    {
        try
        {
            _vector.TrySetResult(await pending.ConfigureAwait(false));
        }
        catch (OperationCanceledException ex)
        {
            _vector.TrySetCanceled(ex.CancellationToken);
        }
        catch (Exception ex)
        {
            _vector.TrySetException(ex);
        }
    }
}
