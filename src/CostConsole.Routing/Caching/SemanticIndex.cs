using CostConsole.Routing.Embeddings;

namespace CostConsole.Routing.Caching;

/// <summary>
/// The semantic level: normalised vectors in partitions that never mix (one per namespace, context and embedder), each
/// searched by a flat scan over one contiguous array. Readers take no lock: a partition's arrays are only appended to
/// past the count a reader has seen, and replaced whole when they grow or shed removed entries.
/// </summary>
public sealed class SemanticIndex
{
    private const int MaxCandidates = 8;

    private readonly Dictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Count { get; private set; }

    /// <summary>The partition a vector is filed under: only vectors of one namespace, context and embedder are compared.</summary>
    public static string PartitionOf(string @namespace, string context, string embedder) => @namespace + "\n" + context + "\n" + embedder;

    public void Add(string partition, CacheEntry entry)
    {
        var vector = entry.Vector!;
        lock (_lock)
        {
            if (!_partitions.TryGetValue(partition, out var slot))
            {
                _partitions[partition] = slot = new Partition(vector.Length);
            }

            if (slot.Dimensions == vector.Length)
            {
                slot.Append(entry, vector);
                Count++;
            }
        }
    }

    /// <summary>Forgets removed entries (their vectors stay until the partition next compacts).</summary>
    public void Compact()
    {
        lock (_lock)
        {
            var total = 0;
            foreach (var (name, partition) in _partitions.ToList())
            {
                partition.Compact();
                if (partition.View.Count == 0)
                {
                    _partitions.Remove(name);
                }

                total += partition.View.Count;
            }

            Count = total;
        }
    }

    public void Clear()
    {
        lock (_lock)
        {
            _partitions.Clear();
            Count = 0;
        }
    }

    /// <summary>
    /// The most similar live entries at or above <paramref name="threshold"/>, best first (at most a few), with their
    /// similarity. Only <paramref name="partition"/> is searched.
    /// </summary>
    public List<(CacheEntry Entry, float Similarity)> Search(string partition, ReadOnlySpan<float> vector, double threshold, DateTimeOffset now)
    {
        Partition? slot;
        lock (_lock)
        {
            _partitions.TryGetValue(partition, out slot);
        }

        var found = new List<(CacheEntry, float)>();
        if (slot is null || slot.Dimensions != vector.Length)
        {
            return found;
        }

        var view = slot.View;
        var dimensions = slot.Dimensions;
        var vectors = view.Vectors.AsSpan();
        for (var i = 0; i < view.Count; i++)
        {
            var similarity = EmbeddingVectors.Dot(vectors.Slice(i * dimensions, dimensions), vector);
            if (similarity < threshold)
            {
                continue;
            }

            var entry = view.Entries[i];
            if (entry.Removed || entry.Expired(now))
            {
                continue;
            }

            found.Add((entry, similarity));
        }

        found.Sort((a, b) => b.Item2.CompareTo(a.Item2));
        if (found.Count > MaxCandidates)
        {
            found.RemoveRange(MaxCandidates, found.Count - MaxCandidates);
        }

        return found;
    }

    private sealed record View(float[] Vectors, CacheEntry[] Entries, int Count);

    private sealed class Partition(int dimensions)
    {
        private volatile View _view = new(new float[dimensions * 4], new CacheEntry[4], 0);

        public int Dimensions { get; } = dimensions;

        public View View => _view;

        /// <summary>Under the index's lock.</summary>
        public void Append(CacheEntry entry, float[] vector)
        {
            var view = _view;
            if (view.Count == view.Entries.Length)
            {
                var capacity = view.Entries.Length * 2;
                var vectors = new float[capacity * Dimensions];
                var entries = new CacheEntry[capacity];
                Array.Copy(view.Vectors, vectors, view.Count * Dimensions);
                Array.Copy(view.Entries, entries, view.Count);
                view = new View(vectors, entries, view.Count);
            }

            vector.CopyTo(view.Vectors.AsSpan(view.Count * Dimensions));
            view.Entries[view.Count] = entry;
            _view = view with { Count = view.Count + 1 };
        }

        /// <summary>Under the index's lock: a new array of the live entries, so readers of the old one are not disturbed.</summary>
        public void Compact()
        {
            var view = _view;
            var live = 0;
            for (var i = 0; i < view.Count; i++)
            {
                live += view.Entries[i].Removed ? 0 : 1;
            }

            if (live == view.Count)
            {
                return;
            }

            var capacity = Math.Max(4, live);
            var vectors = new float[capacity * Dimensions];
            var entries = new CacheEntry[capacity];
            var j = 0;
            for (var i = 0; i < view.Count; i++)
            {
                if (!view.Entries[i].Removed)
                {
                    Array.Copy(view.Vectors, i * Dimensions, vectors, j * Dimensions, Dimensions);
                    entries[j++] = view.Entries[i];
                }
            }

            _view = new View(vectors, entries, j);
        }
    }
}
