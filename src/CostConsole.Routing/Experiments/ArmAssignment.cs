using System.Text;

namespace CostConsole.Routing.Experiments;

/// <summary>
/// Sticky arm assignment: a stable 64-bit hash of salt and unit value, mapped to [0, 1) and looked up in the
/// arms' cumulative split. The same unit always gets the same arm, across restarts and machines, until the
/// salt changes.
/// </summary>
public static class ArmAssignment
{
    /// <summary>A number in [0, 1) fixed by the salt and the unit value.</summary>
    public static double Position(string salt, string unitValue)
    {
        // FNV-1a over UTF-8 of "salt\0value", then a SplitMix64 finaliser so nearby inputs spread evenly.
        const ulong offset = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var hash = offset;
        Span<byte> buffer = stackalloc byte[256];
        foreach (var part in (ReadOnlySpan<string>)[salt, "\0", unitValue])
        {
            var bytes = Encoding.UTF8.GetByteCount(part) <= buffer.Length ? buffer[..Encoding.UTF8.GetBytes(part, buffer)] : Encoding.UTF8.GetBytes(part);
            foreach (var b in bytes)
            {
                hash = (hash ^ b) * prime;
            }
        }

        hash ^= hash >> 30;
        hash *= 0xBF58476D1CE4E5B9UL;
        hash ^= hash >> 27;
        hash *= 0x94D049BB133111EBUL;
        hash ^= hash >> 31;
        return (hash >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>The index of the arm a unit falls into, given the arms' weights (any positive total).</summary>
    public static int Arm(string salt, string unitValue, IReadOnlyList<int> weights)
    {
        var total = 0;
        foreach (var w in weights)
        {
            total += w;
        }

        var point = Position(salt, unitValue) * total;
        var cumulative = 0.0;
        for (var i = 0; i < weights.Count; i++)
        {
            cumulative += weights[i];
            if (point < cumulative)
            {
                return i;
            }
        }

        return weights.Count - 1;
    }
}
