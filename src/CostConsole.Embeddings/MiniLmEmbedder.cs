using CostConsole.Routing.Embeddings;

namespace CostConsole.Embeddings;

/// <summary>
/// The local sentence model behind <see cref="IEmbedder"/>: all-MiniLM-L6-v2, 384 dimensions, bundled in the
/// package (no download, no key, no network). The model loads on first use (about a second, 91 MB); when it cannot
/// load, every call fails with <see cref="EmbeddingException"/> saying why, and the process keeps running.
/// </summary>
public sealed class MiniLmEmbedder : IEmbedder
{
    public const int Dimensions = 384;

    private readonly Lazy<MiniLmModel> _model;
    private readonly int _maxTokens;

    public MiniLmEmbedder(MiniLmOptions options)
        : this(options, () => MiniLmModel.Shared(options.IntraOpThreads))
    {
    }

    internal MiniLmEmbedder(MiniLmOptions options, Func<MiniLmModel> load)
    {
        _maxTokens = Math.Clamp(options.MaxTokens, 8, MiniLmOptions.ModelMaxTokens);
        _model = new Lazy<MiniLmModel>(load, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Name => "MiniLM";

    public bool Local => true;

    /// <summary>Loads the model now, if it is not loaded yet; returns why it cannot be loaded, or null when it is ready.</summary>
    public string? Load()
    {
        try
        {
            _ = Model;
            return null;
        }
        catch (EmbeddingException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>The word pieces the model reads of <paramref name="text"/> ([CLS] and [SEP] included), at most MaxTokens.</summary>
    public int CountTokens(string text) => Model.Tokenize(text, _maxTokens).Count;

    public ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        try
        {
            return ValueTask.FromResult(Model.Embed(text, _maxTokens, cancellationToken));
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<float[]>(Explained(ex));
        }
    }

    public ValueTask<IReadOnlyList<float[]>> EmbedManyAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        try
        {
            var model = Model;
            var vectors = new float[texts.Count][];
            for (var i = 0; i < texts.Count; i++)
            {
                vectors[i] = model.Embed(texts[i], _maxTokens, cancellationToken);
            }

            return ValueTask.FromResult<IReadOnlyList<float[]>>(vectors);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<IReadOnlyList<float[]>>(Explained(ex));
        }
    }

    /// <summary>A failure of the model itself becomes an <see cref="EmbeddingException"/>, which its users handle; a cancellation stays one.</summary>
    private static Exception Explained(Exception ex) =>
        ex is OperationCanceledException or EmbeddingException ? ex : new EmbeddingException($"MiniLM failed: {ex.GetBaseException().Message}", ex);

    private MiniLmModel Model
    {
        get
        {
            try
            {
                return _model.Value;
            }
            catch (Exception ex)
            {
                throw new EmbeddingException($"the MiniLM model could not be loaded: {ex.GetBaseException().Message}", ex);
            }
        }
    }
}
