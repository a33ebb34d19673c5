using CostConsole.Routing.Caching;
using CostConsole.Routing.Embeddings;

namespace CostConsole.Routing.Tests.Caching;

/// <summary>
/// With the projection prefilter fitted, the index still finds exactly what a flat float scan finds, with the same
/// similarities: for vectors like a sentence model's (most energy in a few directions), for vectors the fit never saw,
/// and for neighbours a hair either side of the threshold whose similarity lies mostly outside the fitted directions.
/// </summary>
public sealed class SemanticIndexPrefilterTests
{
    private const int Dimensions = 384;
    private const double Threshold = 0.9;
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Searches_match_a_float_scan_during_and_after_background_refits_and_after_adds_removes_and_rebuilds()
    {
        var random = new Random(11);
        var index = new SemanticIndex(fitAt: 256, refitInBackground: true);
        var all = new List<CacheEntry>();
        var centres = Enumerable.Range(0, 12).Select(_ => Head(random)).ToList();
        var probes = new[] { 0.02, 0.3, 0.6, 0.9 }.SelectMany(share => Enumerable.Range(0, 4).Select(_ => Probe.Of(share, random))).ToList();
        var queries = probes.Select(p => p.Query)
            .Concat(centres.Select(c => Around(c, 0.15, random)))
            .Concat(Enumerable.Range(0, 6).Select(_ => Isotropic(random)))
            .ToList();
        void Add(float[] vector)
        {
            var entry = Entry(all.Count, vector);
            all.Add(entry);
            index.Add("p", entry);
        }

        foreach (var probe in probes)
        {
            foreach (var offset in new[] { -0.0012, -0.0004, 0.0004, 0.0012 })
            {
                Add(probe.Neighbour(Threshold + offset, random));
            }
        }

        for (var i = 0; i < 1_200; i++)
        {
            Add(Around(centres[i % centres.Count], 0.2 + (0.1 * (i % 5)), random));
        }

        // Whatever fit is in force while refits run, or none yet, the answers are the same.
        AssertLikeFloatScan(index, all, queries);
        await index.RefitsAsync();
        Assert.InRange(index.Fitted("p"), (all.Count / 2) + 1, all.Count);
        AssertLikeFloatScan(index, all, queries);

        // Added after the fit, unlike anything it saw: spread evenly over all directions, a few close to each query.
        foreach (var probe in probes)
        {
            foreach (var offset in new[] { -0.0008, 0.0008, 0.02 })
            {
                Add(probe.Neighbour(Threshold + offset, random));
            }
        }

        for (var i = 0; i < 300; i++)
        {
            Add(Isotropic(random));
        }

        AssertLikeFloatScan(index, all, queries);

        foreach (var entry in all.Where((_, i) => i % 3 == 0))
        {
            entry.Remove();
        }

        index.Compact();
        all.RemoveAll(e => e.Removed);
        AssertLikeFloatScan(index, all, queries);

        await index.RefitsAsync();
        index.Refit();
        Assert.Equal(all.Count, index.Fitted("p"));
        var pastBefore = index.PastPrefilter;
        var scannedBefore = index.Scanned;
        AssertLikeFloatScan(index, all, queries);
        Assert.InRange(index.PastPrefilter - pastBefore, 1, (index.Scanned - scannedBefore) / 2);
    }

    [Theory]
    [InlineData(0.9, 0.0)]
    [InlineData(0.02, 6.0)]
    public void Neighbours_a_hair_above_the_threshold_are_found_where_the_projection_bound_is_at_its_tightest(double residualShare, double common)
    {
        // 0.9: the query and its neighbours meet mostly outside the fitted directions, so only the residual term keeps
        // them. 0.02 with one strong shared direction (as a sentence model's output has): the projection codes' scale is
        // set by that direction, their rounding is coarse, and only the quantisation terms keep them.
        var random = new Random(5);
        var index = new SemanticIndex(fitAt: 256, refitInBackground: false);
        var all = new List<CacheEntry>();
        for (var i = 0; i < 600; i++)
        {
            var entry = Entry(i, [.. HeadDirection(random, common).Select(x => (float)x)]);
            all.Add(entry);
            index.Add("p", entry);
        }

        // The fit saw only the leading coordinates; each query shares a direction in the last ones with its neighbours.
        var probes = Enumerable.Range(0, 30).Select(_ => Probe.Of(residualShare, random, common)).ToList();
        var above = new[] { 0.0001, 0.0003, 0.0006, 0.002, 0.01 };
        foreach (var probe in probes)
        {
            foreach (var offset in above.Append(-0.0005))
            {
                var entry = Entry(all.Count, probe.Neighbour(Threshold + offset, random));
                all.Add(entry);
                index.Add("p", entry);
            }
        }

        Assert.Equal(512, index.Fitted("p"));
        var found = AssertLikeFloatScan(index, all, [.. probes.Select(p => p.Query)]);
        Assert.True(found >= probes.Count * above.Length);
    }

    private static int AssertLikeFloatScan(SemanticIndex index, List<CacheEntry> all, List<float[]> queries)
    {
        var hits = 0;
        foreach (var query in queries)
        {
            var expected = all
                .Select(e => (e.Id, Similarity: EmbeddingVectors.Dot(e.Vector, query)))
                .Where(x => x.Similarity >= Threshold)
                .OrderByDescending(x => x.Similarity)
                .Take(8)
                .ToList();

            var found = index.Search("p", query, Threshold, Now);

            Assert.Equal(expected, found.Select(x => (x.Entry.Id, x.Similarity)));
            hits += found.Count;
        }

        Assert.True(hits > 0);
        return hits;
    }

    private static CacheEntry Entry(int i, float[] vector) => new()
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
        ExpiresAt = Now.AddDays(1),
    };

    /// <summary>
    /// A unit vector in the first 256 coordinates whose energy falls off over them, as a sentence model's does over its
    /// principal directions; the last 128 coordinates are zero.
    /// </summary>
    private static float[] Head(Random random) => [.. HeadDirection(random).Select(x => (float)x)];

    private static double[] HeadDirection(Random random, double common = 0)
    {
        var vector = new double[Dimensions];
        for (var i = 0; i < Dimensions - 128; i++)
        {
            vector[i] = Gaussian(random) * Math.Exp(-i / 24.0);
        }

        vector[0] += common;

        Normalise(vector);
        return vector;
    }

    private static double[] TailDirection(Random random)
    {
        var vector = new double[Dimensions];
        for (var i = Dimensions - 128; i < Dimensions; i++)
        {
            vector[i] = Gaussian(random);
        }

        Normalise(vector);
        return vector;
    }

    private static float[] Isotropic(Random random)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < Dimensions; i++)
        {
            vector[i] = (float)Gaussian(random);
        }

        return EmbeddingVectors.Normalise(vector);
    }

    private static float[] Around(float[] centre, double spread, Random random)
    {
        var noise = Head(random);
        var vector = new float[Dimensions];
        for (var i = 0; i < Dimensions; i++)
        {
            vector[i] = centre[i] + (float)(spread * noise[i]);
        }

        return EmbeddingVectors.Normalise(vector);
    }

    /// <summary>
    /// A query √(1−s)·h + √s·w with h in the leading coordinates and w in the last 128, so a share s of its energy (and
    /// of its product with each neighbour) lies where a fit on leading-coordinate vectors leaves it in the residual.
    /// </summary>
    private sealed record Probe(float[] Query, double[] Lead, double[] Tail, double Share, double Common)
    {
        public static Probe Of(double share, Random random, double common = 0)
        {
            var lead = HeadDirection(random, common);
            var tail = TailDirection(random);
            var query = new float[Dimensions];
            for (var i = 0; i < Dimensions; i++)
            {
                query[i] = (float)((Math.Sqrt(1 - share) * lead[i]) + (Math.Sqrt(share) * tail[i]));
            }

            return new Probe(query, lead, tail, share, common);
        }

        /// <summary>
        /// A unit vector √(1−s)·h' + √s·w with h'·h = c, so its cosine with the query is (1−s)·c + s =
        /// <paramref name="cosine"/> (to float precision).
        /// </summary>
        public float[] Neighbour(double cosine, Random random)
        {
            var c = (cosine - Share) / (1 - Share);
            var other = HeadDirection(random, Common);
            Remove(other, Lead);
            Normalise(other);
            var neighbour = new float[Dimensions];
            for (var i = 0; i < Dimensions; i++)
            {
                var lead = (c * Lead[i]) + (Math.Sqrt(1 - (c * c)) * other[i]);
                neighbour[i] = (float)((Math.Sqrt(1 - Share) * lead) + (Math.Sqrt(Share) * Tail[i]));
            }

            return neighbour;
        }
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    private static void Remove(double[] from, double[] direction)
    {
        var along = Dot(from, direction) / Dot(direction, direction);
        for (var i = 0; i < from.Length; i++)
        {
            from[i] -= along * direction[i];
        }
    }

    private static void Normalise(double[] vector)
    {
        var norm = Math.Sqrt(Dot(vector, vector));
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] /= norm;
        }
    }
}
