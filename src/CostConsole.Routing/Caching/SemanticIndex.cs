using CostConsole.Routing.Embeddings;

namespace CostConsole.Routing.Caching;

/// <summary>
/// The semantic level: vectors in partitions that never mix (one per namespace, context and embedder). A search first
/// reads each entry's 64-dimension projection code (<see cref="PrincipalSubspace"/>, fitted on the partition once it
/// holds enough entries and refitted each time it doubles) and skips entries whose proven upper bound stays below the
/// threshold; the rest go through the full int8 codes (a quarter of the float vectors' bytes, one contiguous array),
/// which keep every entry whose similarity could reach the threshold within the quantisation's proven error bound, and
/// are reranked in float. So the similarities it returns, and which entries pass, are exactly the flat float scan's.
/// Readers take no lock: a partition's arrays are only appended to past the count a reader has seen, and replaced whole
/// when they grow, shed removed entries or are refitted.
/// </summary>
public sealed class SemanticIndex
{
    private const int MaxCandidates = 8;

    /// <summary>Entries a partition holds before it is fitted: below this a full scan is cheap and a fit not worth it.</summary>
    private const int DefaultFitAt = 1024;

    private readonly Dictionary<string, Partition> _partitions = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly int _fitAt;
    private readonly bool _refitInBackground;
    private Task _refits = Task.CompletedTask;
    private long _scanned;
    private long _pastPrefilter;
    private long _reranked;

    public SemanticIndex()
        : this(DefaultFitAt)
    {
    }

    /// <param name="fitAt">Entries a partition holds before its first fit.</param>
    /// <param name="refitInBackground">Fit on the thread pool (as the cache does), or on the adding thread.</param>
    internal SemanticIndex(int fitAt, bool refitInBackground = true)
    {
        _fitAt = fitAt;
        _refitInBackground = refitInBackground;
    }

    public int Count { get; private set; }

    /// <summary>Entries searches have looked at, in all.</summary>
    public long Scanned => Interlocked.Read(ref _scanned);

    /// <summary>Of <see cref="Scanned"/>, those whose projection bound could reach the threshold (or whose partition has no fit yet).</summary>
    public long PastPrefilter => Interlocked.Read(ref _pastPrefilter);

    /// <summary>Of <see cref="PastPrefilter"/>, those whose full int8 bound could reach the threshold, so were reranked in float.</summary>
    public long Reranked => Interlocked.Read(ref _reranked);

    /// <summary>
    /// Bytes the index holds per entry beside the entry's own float vector: the int8 code and its three floats, the
    /// projection code and its four floats.
    /// </summary>
    public static int BytesPerEntry(int dimensions) =>
        dimensions + (3 * sizeof(float)) + IntPtr.Size + (dimensions >= 2 * PrincipalSubspace.Directions ? PrincipalSubspace.Directions + (4 * sizeof(float)) : 0);

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
                RefitWhenDue(slot);
            }
        }
    }

    /// <summary>Entries the projection basis of <paramref name="partition"/> was fitted on (0 before its first fit).</summary>
    internal int Fitted(string partition)
    {
        lock (_lock)
        {
            return _partitions.TryGetValue(partition, out var slot) ? slot.View.FittedOn : 0;
        }
    }

    /// <summary>Refits every partition that has a fit on the entries it holds now (as a rebuild would).</summary>
    internal void Refit()
    {
        lock (_lock)
        {
            foreach (var partition in _partitions.Values.Where(p => p.View.Subspace is not null))
            {
                partition.Adopt(partition.Fit(partition.View));
            }
        }
    }

    /// <summary>Completes when the refits started so far (and those they started) have finished.</summary>
    internal async Task RefitsAsync()
    {
        while (true)
        {
            Task refits;
            lock (_lock)
            {
                refits = _refits;
            }

            await refits.ConfigureAwait(false);
            lock (_lock)
            {
                if (ReferenceEquals(refits, _refits))
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Under the lock: fits a partition when it first reaches the size worth it and each time it doubles since. The
    /// fit (an eigendecomposition and a projection of every entry, about a second at 100,000) runs off the request
    /// path; until it is adopted, searches use the previous fit, or none, and stay exact either way.
    /// </summary>
    private void RefitWhenDue(Partition slot)
    {
        var view = slot.View;
        if (slot.Refitting || slot.Dimensions < 2 * PrincipalSubspace.Directions || view.Count < Math.Max(_fitAt, 2 * view.FittedOn))
        {
            return;
        }

        if (!_refitInBackground)
        {
            slot.Adopt(slot.Fit(view));
            return;
        }

        slot.Refitting = true;
        var refit = Task.Run(() =>
        {
            Partition.Fitting? fit = null;
            try
            {
                fit = slot.Fit(view);
            }
            finally
            {
                lock (_lock)
                {
                    slot.Refitting = false;
                    if (fit is not null)
                    {
                        slot.Adopt(fit);
                        RefitWhenDue(slot);
                    }
                }
            }
        });
        _refits = _refits.IsCompleted ? refit : Task.WhenAll(_refits, refit);
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
        var subspace = view.Subspace;
        var projected = subspace?.Query(vector);
        var shortCodes = view.Projected.AsSpan();
        var pastPrefilter = 0;
        var reranked = 0;
        for (var i = 0; i < view.Count; i++)
        {
            // The projection bound (see PrincipalSubspace): a·b ≤ pa·pb + ‖ra‖·‖rb‖ + ‖E‖·‖pa‖·‖pb‖, with pa·pb from
            // int8 codes within the same rounding bound as below.
            if (projected is { } p)
            {
                var shortMeta = view.ProjectedMeta[i];
                var bound = (p.Scale * shortMeta.Scale * QuantisedVector.Dot(p.Code, shortCodes.Slice(i * PrincipalSubspace.Directions, PrincipalSubspace.Directions)))
                    + (p.CodeNorm * shortMeta.Error) + (p.ErrorAndDrift * shortMeta.Norm) + (p.Residual * shortMeta.Residual) + QuantisedVector.Slack;
                if (bound < threshold)
                {
                    continue;
                }
            }

            pastPrefilter++;

            // The int8 product differs from the float one by at most |q̂|·|e_v| + |e_q|·|v| (Cauchy–Schwarz on the two
            // rounding errors), so an entry below the threshold by more than that cannot reach it in float.
            var code = view.Meta[i];
            var estimate = query.Scale * code.Scale * QuantisedVector.Dot(query.Code, codes.Slice(i * dimensions, dimensions));
            if (estimate + (query.CodeNorm * code.Error) + (query.Error * code.Norm) + QuantisedVector.Slack < threshold)
            {
                continue;
            }

            reranked++;
            var entry = view.Entries[i];
            var similarity = EmbeddingVectors.Dot(entry.Vector, vector);
            if (similarity < threshold || entry.Removed || entry.Expired(now))
            {
                continue;
            }

            found.Add((entry, similarity));
        }

        Interlocked.Add(ref _scanned, view.Count);
        Interlocked.Add(ref _pastPrefilter, pastPrefilter);
        Interlocked.Add(ref _reranked, reranked);
        found.Sort((a, b) => b.Item2.CompareTo(a.Item2));
        if (found.Count > MaxCandidates)
        {
            found.RemoveRange(MaxCandidates, found.Count - MaxCandidates);
        }

        return found;
    }

    /// <summary>
    /// A partition as readers see it. <see cref="Projected"/> and <see cref="ProjectedMeta"/> are empty until
    /// <see cref="Subspace"/> is fitted (on the first <see cref="FittedOn"/> entries); entries appended since are
    /// projected on the same basis, which the bound holds for.
    /// </summary>
    private sealed record View(
        sbyte[] Codes,
        QuantisedVector.Meta[] Meta,
        CacheEntry[] Entries,
        int Count,
        PrincipalSubspace? Subspace,
        sbyte[] Projected,
        PrincipalSubspace.Meta[] ProjectedMeta,
        int FittedOn);

    private sealed class Partition(int dimensions)
    {
        public sealed record Fitting(PrincipalSubspace Subspace, CacheEntry[] Entries, int Count, sbyte[] Projected, PrincipalSubspace.Meta[] Meta);

        private volatile View _view = new(new sbyte[dimensions * 4], new QuantisedVector.Meta[4], new CacheEntry[4], 0, null, [], [], 0);

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
            if (view.Subspace is { } subspace)
            {
                view.ProjectedMeta[view.Count] = subspace.Of(entry.Vector, view.Projected.AsSpan(view.Count * PrincipalSubspace.Directions, PrincipalSubspace.Directions));
            }

            _view = view with { Count = view.Count + 1 };
        }

        /// <summary>Under the index's lock: whether a fit is running on the thread pool.</summary>
        public bool Refitting { get; set; }

        /// <summary>No lock needed: a basis fitted on the entries of <paramref name="view"/>, and each of them projected on it.</summary>
        public Fitting Fit(View view)
        {
            var subspace = PrincipalSubspace.Fit(i => view.Entries[i].Vector!, view.Count, Dimensions);
            var projected = new sbyte[view.Count * PrincipalSubspace.Directions];
            var meta = new PrincipalSubspace.Meta[view.Count];
            for (var i = 0; i < view.Count; i++)
            {
                meta[i] = subspace.Of(view.Entries[i].Vector, projected.AsSpan(i * PrincipalSubspace.Directions, PrincipalSubspace.Directions));
            }

            return new Fitting(subspace, view.Entries, view.Count, projected, meta);
        }

        /// <summary>
        /// Under the index's lock: the fit in new arrays for the entries held now. Entries added (or moved by a
        /// compaction) since the fit started are projected here; an array position never changes entry, so an entry
        /// found at the same position is the one projected.
        /// </summary>
        public void Adopt(Fitting fit)
        {
            var view = _view;
            var capacity = view.Entries.Length;
            var projected = new sbyte[capacity * PrincipalSubspace.Directions];
            var meta = new PrincipalSubspace.Meta[capacity];
            for (var i = 0; i < view.Count; i++)
            {
                var target = projected.AsSpan(i * PrincipalSubspace.Directions, PrincipalSubspace.Directions);
                if (i < fit.Count && ReferenceEquals(view.Entries[i], fit.Entries[i]))
                {
                    fit.Projected.AsSpan(i * PrincipalSubspace.Directions, PrincipalSubspace.Directions).CopyTo(target);
                    meta[i] = fit.Meta[i];
                }
                else
                {
                    meta[i] = fit.Subspace.Of(view.Entries[i].Vector, target);
                }
            }

            _view = view with { Subspace = fit.Subspace, Projected = projected, ProjectedMeta = meta, FittedOn = fit.Count };
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
            var fitted = view.Subspace is not null;
            var codes = new sbyte[capacity * Dimensions];
            var meta = new QuantisedVector.Meta[capacity];
            var entries = new CacheEntry[capacity];
            var projected = fitted ? new sbyte[capacity * PrincipalSubspace.Directions] : [];
            var projectedMeta = fitted ? new PrincipalSubspace.Meta[capacity] : [];
            var j = 0;
            for (var i = 0; i < view.Count; i++)
            {
                if (!view.Entries[i].Removed)
                {
                    Array.Copy(view.Codes, i * Dimensions, codes, j * Dimensions, Dimensions);
                    meta[j] = view.Meta[i];
                    if (fitted)
                    {
                        Array.Copy(view.Projected, i * PrincipalSubspace.Directions, projected, j * PrincipalSubspace.Directions, PrincipalSubspace.Directions);
                        projectedMeta[j] = view.ProjectedMeta[i];
                    }

                    entries[j++] = view.Entries[i];
                }
            }

            // The fit stays valid for what is left; its size is counted from what is left so growth triggers the next.
            _view = new View(codes, meta, entries, j, view.Subspace, projected, projectedMeta, Math.Min(view.FittedOn, j));
        }

        private View Resized(View view, int capacity)
        {
            var codes = new sbyte[capacity * Dimensions];
            var meta = new QuantisedVector.Meta[capacity];
            var entries = new CacheEntry[capacity];
            Array.Copy(view.Codes, codes, view.Count * Dimensions);
            Array.Copy(view.Meta, meta, view.Count);
            Array.Copy(view.Entries, entries, view.Count);
            if (view.Subspace is null)
            {
                return view with { Codes = codes, Meta = meta, Entries = entries };
            }

            var projected = new sbyte[capacity * PrincipalSubspace.Directions];
            var projectedMeta = new PrincipalSubspace.Meta[capacity];
            Array.Copy(view.Projected, projected, view.Count * PrincipalSubspace.Directions);
            Array.Copy(view.ProjectedMeta, projectedMeta, view.Count);
            return view with { Codes = codes, Meta = meta, Entries = entries, Projected = projected, ProjectedMeta = projectedMeta };
        }
    }
}
