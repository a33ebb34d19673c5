namespace CostConsole.Routing.Embeddings;

/// <summary>
/// An embedder in front of an <see cref="EmbeddingCache"/>: a prompt seen recently (a FAQ asked again, a retried
/// request, an example prompt recompiled) costs a hash and a look-up instead of a model run.
/// </summary>
public sealed class CachedEmbedder(IEmbedder inner, EmbeddingCache cache) : IEmbedder
{
    public string Name => inner.Name;

    public bool Local => inner.Local;

    public EmbeddingCache Cache => cache;

    public ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        var key = PromptHash.Of(text);
        if (cache.TryGet(key, out var vector))
        {
            return ValueTask.FromResult(vector);
        }

        var pending = inner.EmbedAsync(text, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            cache.Add(key, pending.Result);
            return pending;
        }

        return AddWhenDoneAsync(key, pending);
    }

    public async ValueTask<IReadOnlyList<float[]>> EmbedManyAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var vectors = new float[texts.Count][];
        var keys = new PromptHash[texts.Count];
        var missing = new List<int>();
        for (var i = 0; i < texts.Count; i++)
        {
            keys[i] = PromptHash.Of(texts[i]);
            if (!cache.TryGet(keys[i], out vectors[i]))
            {
                missing.Add(i);
            }
        }

        if (missing.Count > 0)
        {
            var computed = await inner.EmbedManyAsync([.. missing.Select(i => texts[i])], cancellationToken).ConfigureAwait(false);
            for (var m = 0; m < missing.Count; m++)
            {
                vectors[missing[m]] = computed[m];
                cache.Add(keys[missing[m]], computed[m]);
            }
        }

        return vectors;
    }

    private async ValueTask<float[]> AddWhenDoneAsync(PromptHash key, ValueTask<float[]> pending)
    {
        var vector = await pending.ConfigureAwait(false);
        cache.Add(key, vector);
        return vector;
    }
}
