using System.Collections.Concurrent;

namespace CostConsole.Web.Budgets;

/// <summary>
/// The recent completion lengths of answered requests per tier, kept in memory, so that a request without
/// <c>max_tokens</c> reserves what its tier's answers really take (their 95th percentile) instead of a worst case.
/// </summary>
internal sealed class OutputLengths(int defaultTokens)
{
    /// <summary>Answers kept per tier: the estimate follows the traffic of the last few hundred requests.</summary>
    public const int Window = 200;

    /// <summary>Answers a tier needs before its own percentile replaces the configured default.</summary>
    public const int MinimumAnswers = 20;

    private readonly ConcurrentDictionary<string, Lengths> _tiers = new(StringComparer.Ordinal);

    /// <summary>Completion tokens to expect from <paramref name="tier"/>: the p95 of its recent answers, or the default before enough of them.</summary>
    public long Estimate(string tier) => _tiers.TryGetValue(tier, out var lengths) && lengths.P95 is { } p95 ? p95 : defaultTokens;

    public void Record(string tier, long completionTokens)
    {
        if (completionTokens > 0)
        {
            _tiers.GetOrAdd(tier, static _ => new Lengths()).Add(completionTokens);
        }
    }

    private sealed class Lengths
    {
        private readonly Lock _gate = new();
        private readonly long[] _recent = new long[Window];
        private readonly long[] _sorted = new long[Window];
        private int _count;
        private int _next;
        private long _p95 = -1;

        public long? P95
        {
            get
            {
                var p95 = Volatile.Read(ref _p95);
                return p95 < 0 ? null : p95;
            }
        }

        public void Add(long tokens)
        {
            lock (_gate)
            {
                _recent[_next] = tokens;
                _next = (_next + 1) % Window;
                _count = Math.Min(_count + 1, Window);
                if (_count < MinimumAnswers)
                {
                    return;
                }

                // Nearest rank: the smallest length at least 95 % of the recent answers do not exceed.
                Array.Copy(_recent, _sorted, _count);
                Array.Sort(_sorted, 0, _count);
                var rank = (int)Math.Ceiling(0.95 * _count) - 1;
                Volatile.Write(ref _p95, _sorted[rank]);
            }
        }
    }
}
