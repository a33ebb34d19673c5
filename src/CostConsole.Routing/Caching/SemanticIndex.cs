using CostConsole.Routing.Embeddings;

namespace CostConsole.Routing.Caching;

/// <summary>
/// The semantic level: vectors in partitions that never mix (one per namespace, context and embedder). A search scans
/// a partition's int8 codes (a quarter of the float vectors' bytes, one contiguous array), keeps every entry whose
/// similarity could reach the threshold within the quantisation's proven error bound, and reranks those in float, so
/// the similarities it returns, and which entries pass, are exactly the flat float scan's. Readers take no lock: a
/// partition's arrays are only appended to past the count a reader has seen, and replaced whole when they grow or shed
/// removed entries.
/// </summary>
public sealed class SemanticIndex
{
    private const int MaxCandidates = 8;

    private readonly Dictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public int Count { get; private set; }

    /// <summary>Bytes the index holds per entry beside the entry's own float vector: the int8 code and its three floats.</summary>
    public static int BytesPerEntry(int dimensions) => dimensions + (3 * sizeof(float)) + IntPtr.Size;

    /// <summary>The partition a vector is filed under: only vectors of one namespace, context and embedder are compared.</summary>
    public static string PartitionOf(string @namespace, string context, string embedder) => @namespace + "\n" + context + "\n" + embedder;

    public void Add(string partition, CacheEntry entry)
    {
        var vector = entry.Vector!;
        var code = QuantisedVector.Of(vector);
        lock (_lock)
        {
            if (!_partitions.TryGetValue(partition, out var slot))
            {
                _partitions[partition] = slot = new Partition(vector.Length);
            }

            if (slot.Dimensions == vector.Length)
            {
                slot.Append(entry, code);
                Count++;
            }
        }
    }

    /// <summary>Forgets removed entries (their codes stay until the partition next compacts).</summary>
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
    /// float similarity. Only <paramref name="partition"/> is searched.
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
        var query = QuantisedVector.Query(vector);
        var codes = view.Codes.AsSpan();
        for (var i = 0; i < view.Count; i++)
        {
            // The int8 product differs from the float one by at most |q̂|·|e_v| + |e_q|·|v| (Cauchy–Schwarz on the two
            // rounding errors), so an entry below the threshold by more than that cannot reach it in float.
            var code = view.Meta[i];
            var estimate = query.Scale * code.Scale * QuantisedVector.Dot(query.Code, codes.Slice(i * dimensions, dimensions));
            if (estimate + (query.CodeNorm * code.Error) + (query.Error * code.Norm) + QuantisedVector.Slack < threshold)
            {
                continue;
            }

            var entry = view.Entries[i];
            var similarity = EmbeddingVectors.Dot(entry.Vector, vector);
            if (similarity < threshold || entry.Removed || entry.Expired(now))
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

    private sealed record View(sbyte[] Codes, QuantisedVector.Meta[] Meta, CacheEntry[] Entries, int Count);

    private sealed class Partition(int dimensions)
    {
        private volatile View _view = new(new sbyte[dimensions * 4], new QuantisedVector.Meta[4], new CacheEntry[4], 0);

        public int Dimensions { get; } = dimensions;

        public View View => _view;

        /// <summary>Under the index's lock.</summary>
        public void Append(CacheEntry entry, (sbyte[] Code, QuantisedVector.Meta Meta) code)
        {
            var view = _view;
            if (view.Count == view.Entries.Length)
            {
                view = Resized(view, view.Entries.Length * 2);
            }

            code.Code.CopyTo(view.Codes.AsSpan(view.Count * Dimensions));
            view.Meta[view.Count] = code.Meta;
            view.Entries[view.Count] = entry;
            _view = view with { Count = view.Count + 1 };
        }

        /// <summary>Under the index's lock: new arrays of the live entries, so readers of the old ones are not disturbed.</summary>
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
            var codes = new sbyte[capacity * Dimensions];
            var meta = new QuantisedVector.Meta[capacity];
            var entries = new CacheEntry[capacity];
            var j = 0;
            for (var i = 0; i < view.Count; i++)
            {
                if (!view.Entries[i].Removed)
                {
                    Array.Copy(view.Codes, i * Dimensions, codes, j * Dimensions, Dimensions);
                    meta[j] = view.Meta[i];
                    entries[j++] = view.Entries[i];
                }
            }

            _view = new View(codes, meta, entries, j);
        }

        private View Resized(View view, int capacity)
        {
            var codes = new sbyte[capacity * Dimensions];
            var meta = new QuantisedVector.Meta[capacity];
            var entries = new CacheEntry[capacity];
            Array.Copy(view.Codes, codes, view.Count * Dimensions);
            Array.Copy(view.Meta, meta, view.Count);
            Array.Copy(view.Entries, entries, view.Count);
            return new View(codes, meta, entries, view.Count);
        }
    }
}
