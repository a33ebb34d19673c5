using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace CostConsole.Routing.Embeddings;

/// <summary>The first 128 bits of a text's SHA-256: the key the embedding cache files a vector under.</summary>
public readonly record struct PromptHash(ulong High, ulong Low)
{
    public static PromptHash Of(string text)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(MemoryMarshal.AsBytes(text.AsSpan()), digest);
        return new PromptHash(BinaryPrimitives.ReadUInt64LittleEndian(digest), BinaryPrimitives.ReadUInt64LittleEndian(digest[8..]));
    }
}

/// <summary>
/// A bounded cache of embeddings by prompt hash, least recently used out first. Set-associative: a hash picks a set
/// of four slots and only those are searched and replaced, so reads and writes take no lock; each slot holds an
/// immutable entry swapped whole. Two threads adding to the same set at once may drop one of the two entries, which
/// costs a later miss and nothing else. Vectors are shared by every reader: nobody may change them.
/// </summary>
public sealed class EmbeddingCache
{
    private const int MaxWays = 4;

    private readonly Entry?[] _slots;
    private readonly int _ways;
    private readonly int _setMask;
    private long _clock;
    private long _hits;
    private long _misses;

    /// <param name="capacity">The most vectors kept; rounded down to a power of two sets of four.</param>
    public EmbeddingCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _ways = Math.Min(MaxWays, capacity);
        var sets = 1 << BitOperations.Log2((uint)(capacity / _ways));
        _setMask = sets - 1;
        _slots = new Entry?[sets * _ways];
    }

    /// <summary>The most vectors the cache holds.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Vectors held now (counted, so not for the hot path).</summary>
    public int Count
    {
        get
        {
            var count = 0;
            for (var i = 0; i < _slots.Length; i++)
            {
                if (Volatile.Read(ref _slots[i]) is not null)
                {
                    count++;
                }
            }

            return count;
        }
    }

    public long Hits => Interlocked.Read(ref _hits);

    public long Misses => Interlocked.Read(ref _misses);

    public bool TryGet(PromptHash key, out float[] vector)
    {
        var start = Set(key);
        for (var w = 0; w < _ways; w++)
        {
            var entry = Volatile.Read(ref _slots[start + w]);
            if (entry is not null && entry.Key == key)
            {
                Volatile.Write(ref entry.LastUsed, Interlocked.Increment(ref _clock));
                Interlocked.Increment(ref _hits);
                vector = entry.Vector;
                return true;
            }
        }

        Interlocked.Increment(ref _misses);
        vector = null!;
        return false;
    }

    /// <summary>Keeps <paramref name="vector"/> under <paramref name="key"/>, in place of the set's least recently used entry when the set is full.</summary>
    public void Add(PromptHash key, float[] vector)
    {
        var start = Set(key);
        var victim = start;
        var oldest = long.MaxValue;
        for (var w = 0; w < _ways; w++)
        {
            var entry = Volatile.Read(ref _slots[start + w]);
            if (entry is null || entry.Key == key)
            {
                victim = start + w;
                break;
            }

            var used = Volatile.Read(ref entry.LastUsed);
            if (used < oldest)
            {
                oldest = used;
                victim = start + w;
            }
        }

        Volatile.Write(ref _slots[victim], new Entry(key, vector, Interlocked.Increment(ref _clock)));
    }

    private int Set(PromptHash key) => (int)(key.Low & (ulong)_setMask) * _ways;

    private sealed class Entry(PromptHash key, float[] vector, long lastUsed)
    {
        public readonly PromptHash Key = key;
        public readonly float[] Vector = vector;
        public long LastUsed = lastUsed;
    }
}
