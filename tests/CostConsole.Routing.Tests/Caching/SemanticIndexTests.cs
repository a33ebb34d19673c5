using CostConsole.Routing.Caching;
using CostConsole.Routing.Embeddings;

namespace CostConsole.Routing.Tests.Caching;

/// <summary>The int8 scan finds exactly what a flat float scan finds, with the same similarities, however close to the threshold.</summary>
public sealed class SemanticIndexTests
{
    private const int Dimensions = 384;
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.80)]
    [InlineData(0.90)]
    [InlineData(0.95)]
    public void Entries_just_above_and_just_below_the_threshold_are_found_or_left_exactly_as_a_float_scan_would(double threshold)
    {
        var random = new Random(7);
        var index = new SemanticIndex();
        var all = new List<CacheEntry>();
        var queries = Enumerable.Range(0, 20).Select(_ => Unit(random)).ToList();
        foreach (var query in queries)
        {
            // Neighbours spread a hair either side of the threshold, where rounding to int8 would tip them either way.
            for (var n = 0; n < 6; n++)
            {
                var target = threshold + ((n - 3) * 0.0004);
                all.Add(Entry(all.Count, At(query, target, random)));
            }
        }

        for (var i = 0; i < 2_000; i++)
        {
            all.Add(Entry(all.Count, Unit(random)));
        }

        foreach (var entry in all)
        {
            index.Add("p", entry);
        }

        var hits = 0;
        foreach (var query in queries)
        {
            var expected = all
                .Select(e => (Entry: e, Similarity: EmbeddingVectors.Dot(e.Vector, query)))
                .Where(x => x.Similarity >= threshold)
                .OrderByDescending(x => x.Similarity)
                .Take(8)
                .ToList();

            var found = index.Search("p", query, threshold, Now);

            Assert.Equal(expected.Select(x => (x.Entry.Id, x.Similarity)), found.Select(x => (x.Entry.Id, x.Similarity)));
            hits += found.Count;
        }

        Assert.InRange(hits, 20, 100);
    }

    [Fact]
    public void Another_partition_and_removed_or_expired_entries_are_never_returned()
    {
        var random = new Random(3);
        var query = Unit(random);
        var index = new SemanticIndex();
        var kept = Entry(0, At(query, 0.97, random));
        var expired = Entry(1, At(query, 0.98, random), expiresAt: Now);
        index.Add("team:a", kept);
        index.Add("team:a", expired);
        index.Add("team:b", Entry(2, At(query, 0.99, random)));

        Assert.Equal([kept.Id], index.Search("team:a", query, 0.9, Now).Select(x => x.Entry.Id));
        Assert.Empty(index.Search("team:c", query, 0.9, Now));
        Assert.Empty(index.Search("team:a", Unit(random).AsSpan(0, 128), 0.1, Now));
    }

    private static CacheEntry Entry(int i, float[] vector, DateTimeOffset? expiresAt = null) => new()
    {
        Id = "ce_" + i,
        Namespace = "key:1",
        Fingerprint = "f" + i,
        Context = "c",
        Prompt = "question " + i,
        Vector = vector,
        Embedder = "test",
        Answer = "answer",
        Model = "sim/nano",
        Tier = "small",
        CreatedAt = Now.AddHours(-1),
        ExpiresAt = expiresAt ?? Now.AddDays(1),
    };

    private static float[] Unit(Random random)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            // Skewed like a sentence model's output: a few large coordinates, most small.
            var x = (float)(random.NextDouble() * 2 - 1);
            vector[i] = i % 37 == 0 ? x * 4 : x;
        }

        return EmbeddingVectors.Normalise(vector);
    }

    /// <summary>A unit vector whose cosine with <paramref name="to"/> is <paramref name="cosine"/>.</summary>
    private static float[] At(float[] to, double cosine, Random random)
    {
        var other = Unit(random);
        var along = EmbeddingVectors.Dot(other, to);
        var orthogonal = new float[Dimensions];
        for (var i = 0; i < Dimensions; i++)
        {
            orthogonal[i] = other[i] - (along * to[i]);
        }

        EmbeddingVectors.Normalise(orthogonal);
        var sine = Math.Sqrt(1 - (cosine * cosine));
        var vector = new float[Dimensions];
        for (var i = 0; i < Dimensions; i++)
        {
            vector[i] = (float)((cosine * to[i]) + (sine * orthogonal[i]));
        }

        return vector;
    }
}
