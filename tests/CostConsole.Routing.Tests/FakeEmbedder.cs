using System.Collections.Concurrent;
using CostConsole.Routing.Embeddings;

namespace CostConsole.Routing.Tests;

/// <summary>
/// A deterministic local embedder for tests: how often each letter occurs, normalised. Counts what it is asked, can be
/// made to fail like a model that cannot load, or to hold its answers until released.
/// </summary>
internal sealed class FakeEmbedder(string name = "Fake") : IEmbedder
{
    public ConcurrentQueue<string> Single { get; } = new();

    public ConcurrentQueue<IReadOnlyList<string>> Batches { get; } = new();

    public string? LoadError { get; set; }

    /// <summary>When set, single embeddings wait for it.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public string Name => name;

    public bool Local => true;

    public ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        Single.Enqueue(text);
        if (LoadError is not null)
        {
            return ValueTask.FromException<float[]>(new EmbeddingException(LoadError));
        }

        return Gate is { } gate ? WaitAsync(gate, text) : ValueTask.FromResult(Letters(text));

        static async ValueTask<float[]> WaitAsync(TaskCompletionSource gate, string text)
        {
            await gate.Task;
            return Letters(text);
        }
    }

    public ValueTask<IReadOnlyList<float[]>> EmbedManyAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        Batches.Enqueue(texts);
        return LoadError is not null
            ? ValueTask.FromException<IReadOnlyList<float[]>>(new EmbeddingException(LoadError))
            : ValueTask.FromResult<IReadOnlyList<float[]>>([.. texts.Select(Letters)]);
    }

    public static float[] Letters(string text)
    {
        var vector = new float[26];
        foreach (var c in text.ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z')
            {
                vector[c - 'a']++;
            }
        }

        return EmbeddingVectors.Normalise(vector);
    }
}
