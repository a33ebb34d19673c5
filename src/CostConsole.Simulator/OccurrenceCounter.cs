using System.Collections.Concurrent;

namespace CostConsole.Simulator;

/// <summary>
/// Counts how often each key has been seen, lock-free. Bounded: once it holds <c>capacity</c> keys it
/// forgets everything and starts over, which keeps memory flat under load and behaves like a provider cache eviction.
/// </summary>
internal sealed class OccurrenceCounter(int capacity)
{
    private readonly ConcurrentDictionary<ulong, int> _counts = new();
    private int _keys;

    /// <summary>Records one more occurrence and returns how many times the key was seen before this one.</summary>
    public int Record(ulong key)
    {
        var count = _counts.AddOrUpdate(key, static _ => 1, static (_, previous) => previous + 1);
        if (count == 1 && Interlocked.Increment(ref _keys) > capacity)
        {
            _counts.Clear();
            Interlocked.Exchange(ref _keys, 0);
        }

        return count - 1;
    }
}
