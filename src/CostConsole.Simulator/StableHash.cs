namespace CostConsole.Simulator;

/// <summary>
/// 64-bit FNV-1a. Unlike <see cref="string.GetHashCode()"/> it is the same in every process,
/// which is what makes simulated answers reproducible across runs.
/// </summary>
internal struct StableHash
{
    private const ulong OffsetBasis = 14695981039346656037;
    private const ulong Prime = 1099511628211;

    private ulong _value;

    public StableHash() => _value = OffsetBasis;

    public readonly ulong Value => _value;

    public void Add(ulong value)
    {
        for (var shift = 0; shift < 64; shift += 8)
        {
            _value = (_value ^ ((value >> shift) & 0xFF)) * Prime;
        }
    }

    /// <summary>Length-prefixed, so ("ab", "c") and ("a", "bc") hash differently.</summary>
    public void Add(string text)
    {
        Add((ulong)text.Length);
        foreach (var c in text)
        {
            _value = (_value ^ (byte)c) * Prime;
            _value = (_value ^ (byte)(c >> 8)) * Prime;
        }
    }

    /// <summary>A seed for <see cref="Random"/>, whose seeded algorithm is fixed for compatibility.</summary>
    public readonly int ToSeed() => unchecked((int)(_value ^ (_value >> 32)));
}
