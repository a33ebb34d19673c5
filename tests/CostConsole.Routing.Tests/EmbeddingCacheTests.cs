using CostConsole.Routing.Embeddings;

namespace CostConsole.Routing.Tests;

public sealed class EmbeddingCacheTests
{
    private static PromptHash Key(int i) => PromptHash.Of("prompt " + i);

    [Fact]
    public void A_prompt_found_in_the_cache_gives_back_the_very_vector_that_was_stored()
    {
        var cache = new EmbeddingCache(64);
        var vector = new float[] { 0.6f, 0.8f };
        cache.Add(PromptHash.Of("Where is my parcel?"), vector);

        Assert.True(cache.TryGet(PromptHash.Of("Where is my parcel?"), out var found));
        Assert.Same(vector, found);
        Assert.False(cache.TryGet(PromptHash.Of("where is my parcel?"), out _));
        Assert.Equal((1, 1), (cache.Hits, cache.Misses));
    }

    [Fact]
    public void The_cache_never_holds_more_vectors_than_its_capacity()
    {
        var cache = new EmbeddingCache(100);
        for (var i = 0; i < 10_000; i++)
        {
            cache.Add(Key(i), [i]);
        }

        Assert.True(cache.Capacity <= 100, $"capacity {cache.Capacity}");
        Assert.InRange(cache.Count, cache.Capacity / 2, cache.Capacity);
    }

    [Fact]
    public void When_full_the_least_recently_used_vector_is_the_one_dropped()
    {
        // Four slots: one set, so the order of use decides alone.
        var cache = new EmbeddingCache(4);
        for (var i = 0; i < 4; i++)
        {
            cache.Add(Key(i), [i]);
        }

        Assert.True(cache.TryGet(Key(0), out _));
        cache.Add(Key(4), [4]);

        Assert.True(cache.TryGet(Key(0), out _), "used recently, kept");
        Assert.False(cache.TryGet(Key(1), out _), "least recently used, dropped");
        Assert.True(cache.TryGet(Key(4), out var newest));
        Assert.Equal([4f], newest);
        Assert.Equal(4, cache.Count);
    }

    [Fact]
    public void Many_threads_adding_and_reading_at_once_only_ever_find_the_vector_of_their_own_prompt()
    {
        var cache = new EmbeddingCache(256);
        var wrong = 0;
        Parallel.For(0, 200_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, n =>
        {
            var i = n % 1000;
            if (cache.TryGet(Key(i), out var found))
            {
                if (found[0] != i)
                {
                    Interlocked.Increment(ref wrong);
                }
            }
            else
            {
                cache.Add(Key(i), [i]);
            }
        });

        Assert.Equal(0, wrong);
        Assert.True(cache.Count <= cache.Capacity);
    }

    [Fact]
    public async Task A_prompt_embedded_before_is_answered_from_the_cache_without_running_the_model()
    {
        var model = new FakeEmbedder();
        var embedder = new CachedEmbedder(model, new EmbeddingCache(16));

        var first = await embedder.EmbedAsync("Where is my parcel?", TestContext.Current.CancellationToken);
        var again = await embedder.EmbedAsync("Where is my parcel?", TestContext.Current.CancellationToken);
        var batch = await embedder.EmbedManyAsync(["Where is my parcel?", "Reset my password"], TestContext.Current.CancellationToken);

        Assert.Same(first, again);
        Assert.Same(first, batch[0]);
        Assert.Equal(["Where is my parcel?"], model.Single);
        Assert.Equal(["Reset my password"], Assert.Single(model.Batches));
    }
}
