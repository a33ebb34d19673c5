using System.Collections.Immutable;
using CostConsole.Data;
using CostConsole.Routing.Pipeline;

namespace CostConsole.Web.Metrics;

/// <summary>
/// The live stream: committed ledger batches are summed per second; every second a <see cref="MetricsTick"/> goes
/// to every subscriber (the hub broadcaster and each dashboard circuit) and into a 15-minute ring for late joiners.
/// </summary>
public sealed class LiveMetrics
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(15);

    private readonly Lock _lock = new();
    private readonly Queue<MetricsTick> _recent = new();
    private ImmutableArray<Action<MetricsTick>> _subscribers = [];
    private Second _current = new();
    private Second _others = new();
    private long _sequence;

    /// <summary>
    /// Raised every second with this instance's own traffic only (what the hub broadcasts, and what other instances
    /// add to their live view), on the ticking thread.
    /// </summary>
    public event Action<MetricsTick>? Closed;

    /// <summary>
    /// Adds a second of another instance's traffic to the second now open, so the dashboard here shows every instance.
    /// Latency percentiles stay this instance's own: percentiles of different instances do not add up.
    /// </summary>
    public void AddOtherInstance(MetricsTick tick)
    {
        lock (_lock)
        {
            _others.Add(tick);
        }
    }

    /// <summary>On the ledger writer's loop: adds the batch to the current second.</summary>
    public void Observe(IReadOnlyList<LedgerEntry> entries)
    {
        lock (_lock)
        {
            foreach (var entry in entries)
            {
                _current.Add(entry);
            }
        }
    }

    /// <summary>Receives every tick from now on, on the ticking thread: hand work off quickly.</summary>
    public IDisposable Subscribe(Action<MetricsTick> subscriber)
    {
        ImmutableInterlocked.Update(ref _subscribers, s => s.Add(subscriber));
        return new Subscription(this, subscriber);
    }

    /// <summary>
    /// The totals of a run of ticks, as the headline cards show them: the live view computes its cards, its summary
    /// line and its charts from the same ticks, so they agree at every moment.
    /// </summary>
    public static MetricsTotals Totals(IReadOnlyList<MetricsTick> ticks) => new(
        Requests: ticks.Sum(t => (long)t.Requests),
        Answered: ticks.Sum(t => (long)t.Answered),
        Failed: ticks.Sum(t => (long)t.Failed),
        Rejected: ticks.Sum(t => (long)t.Rejected),
        FallbackRequests: ticks.Sum(t => (long)t.FallbackRequests),
        Fallbacks: ticks.Sum(t => (long)t.Fallbacks),
        Escalations: ticks.Sum(t => (long)t.Escalations),
        PromptTokens: ticks.Sum(t => t.PromptTokens),
        CompletionTokens: ticks.Sum(t => t.CompletionTokens),
        CostNanoUsd: ticks.Sum(t => Money.ToNanoUsd(t.Spend)),
        BaselineCostNanoUsd: ticks.Sum(t => Money.ToNanoUsd(t.Baseline)),
        EscalatedRequests: ticks.Sum(t => (long)t.Escalations),
        EscalationCostNanoUsd: ticks.Sum(t => Money.ToNanoUsd(t.EscalationCost)),
        CachedTokens: ticks.Sum(t => t.CachedTokens));

    /// <summary>The ticks of the last <paramref name="span"/> (at most 15 minutes), oldest first.</summary>
    public IReadOnlyList<MetricsTick> Recent(TimeSpan span)
    {
        lock (_lock)
        {
            if (_recent.Count == 0)
            {
                return [];
            }

            var since = _recent.Last().Time - span;
            return [.. _recent.Where(t => t.Time > since)];
        }
    }

    /// <summary>
    /// Closes the second ending at <paramref name="time"/> and publishes it: to subscribers and the recent ticks with
    /// the other instances' traffic added; returned (for the hub) with this instance's alone.
    /// </summary>
    public MetricsTick Tick(DateTimeOffset time)
    {
        MetricsTick own;
        MetricsTick tick;
        lock (_lock)
        {
            var second = _current;
            var others = _others;
            _current = new Second();
            _others = new Second();
            own = second.ToTick(++_sequence, time);
            tick = own;
            if (!others.IsEmpty)
            {
                second.Add(others);
                tick = second.ToTick(_sequence, time);
            }

            _recent.Enqueue(tick);
            while (_recent.Count > 0 && _recent.Peek().Time <= time - Window)
            {
                _recent.Dequeue();
            }
        }

        foreach (var subscriber in _subscribers)
        {
            subscriber(tick);
        }

        Closed?.Invoke(own);
        return own;
    }

    private sealed class Subscription(LiveMetrics owner, Action<MetricsTick> subscriber) : IDisposable
    {
        public void Dispose() => ImmutableInterlocked.Update(ref owner._subscribers, s => s.Remove(subscriber));
    }

    private sealed class Second
    {
        private readonly Dictionary<string, long> _spendByTier = [];
        private readonly Dictionary<string, long> _spendByModel = [];
        private readonly Dictionary<string, int> _requestsByTier = [];
        private readonly List<double> _latencies = [];
        private int _answered;
        private int _failed;
        private int _rejected;
        private int _fallbacks;
        private int _fallbackRequests;
        private int _escalated;
        private long _spend;
        private long _baseline;
        private long _promptTokens;
        private long _completionTokens;
        private long _cachedTokens;
        private long _escalationCost;

        public bool IsEmpty => _answered + _failed + _rejected == 0;

        /// <summary>Adds another instance's second (its latencies excepted).</summary>
        public void Add(MetricsTick t)
        {
            _answered += t.Answered;
            _failed += t.Failed;
            _rejected += t.Rejected;
            _fallbacks += t.Fallbacks;
            _fallbackRequests += t.FallbackRequests;
            _escalated += t.Escalations;
            _spend += Money.ToNanoUsd(t.Spend);
            _baseline += Money.ToNanoUsd(t.Baseline);
            _promptTokens += t.PromptTokens;
            _completionTokens += t.CompletionTokens;
            _cachedTokens += t.CachedTokens;
            _escalationCost += Money.ToNanoUsd(t.EscalationCost);
            foreach (var (tier, spend) in t.SpendByTier)
            {
                _spendByTier[tier] = _spendByTier.GetValueOrDefault(tier) + Money.ToNanoUsd(spend);
            }

            foreach (var (model, spend) in t.SpendByModel)
            {
                _spendByModel[model] = _spendByModel.GetValueOrDefault(model) + Money.ToNanoUsd(spend);
            }

            foreach (var (tier, requests) in t.RequestsByTier)
            {
                _requestsByTier[tier] = _requestsByTier.GetValueOrDefault(tier) + requests;
            }
        }

        /// <summary>Adds the other instances' traffic of this second.</summary>
        public void Add(Second other)
        {
            _answered += other._answered;
            _failed += other._failed;
            _rejected += other._rejected;
            _fallbacks += other._fallbacks;
            _fallbackRequests += other._fallbackRequests;
            _escalated += other._escalated;
            _spend += other._spend;
            _baseline += other._baseline;
            _promptTokens += other._promptTokens;
            _completionTokens += other._completionTokens;
            _cachedTokens += other._cachedTokens;
            _escalationCost += other._escalationCost;
            foreach (var (tier, spend) in other._spendByTier)
            {
                _spendByTier[tier] = _spendByTier.GetValueOrDefault(tier) + spend;
            }

            foreach (var (model, spend) in other._spendByModel)
            {
                _spendByModel[model] = _spendByModel.GetValueOrDefault(model) + spend;
            }

            foreach (var (tier, requests) in other._requestsByTier)
            {
                _requestsByTier[tier] = _requestsByTier.GetValueOrDefault(tier) + requests;
            }
        }

        public void Add(LedgerEntry e)
        {
            switch (e.Status)
            {
                case LedgerStatus.Answered:
                    _answered++;
                    break;
                case LedgerStatus.Failed:
                    _failed++;
                    break;
                default:
                    _rejected++;
                    break;
            }

            if (e.Escalations > 0)
            {
                _escalated++;
            }

            if (e.Fallbacks > 0)
            {
                _fallbacks += e.Fallbacks;
                _fallbackRequests++;
            }

            // Summed in the ledger's own unit, so ticks add up to exactly what the ledger holds.
            var cost = Money.ToNanoUsd(e.Cost);
            _spend += cost;
            _baseline += Money.ToNanoUsd(e.BaselineCost);
            _promptTokens += e.PromptTokens;
            _completionTokens += e.CompletionTokens;
            _cachedTokens += e.CachedTokens;
            _escalationCost += Money.ToNanoUsd(e.EscalationCost);
            if (e.Tier is { } tier)
            {
                _spendByTier[tier] = _spendByTier.GetValueOrDefault(tier) + cost;
                _requestsByTier[tier] = _requestsByTier.GetValueOrDefault(tier) + 1;
            }

            if (e.Model is { } model)
            {
                _spendByModel[model] = _spendByModel.GetValueOrDefault(model) + cost;
            }

            _latencies.Add(e.LatencyMs);
        }

        public MetricsTick ToTick(long sequence, DateTimeOffset time)
        {
            _latencies.Sort();
            return new MetricsTick(
                sequence,
                time,
                _answered + _failed + _rejected,
                _answered,
                _failed,
                _rejected,
                _failed + _rejected,
                _fallbacks,
                _fallbackRequests,
                Escalations: _escalated,
                CacheHits: 0,
                Money.FromNanoUsd(_spend),
                Money.FromNanoUsd(_baseline),
                Money.FromNanoUsd(_baseline - _spend),
                _spendByTier.ToDictionary(p => p.Key, p => Money.FromNanoUsd(p.Value)),
                _spendByModel.ToDictionary(p => p.Key, p => Money.FromNanoUsd(p.Value)),
                new Dictionary<string, int>(_requestsByTier),
                Percentile(0.50),
                Percentile(0.95),
                _promptTokens,
                _completionTokens,
                _cachedTokens,
                Money.FromNanoUsd(_escalationCost));
        }

        /// <summary>Nearest-rank percentile of this second's latencies.</summary>
        private double? Percentile(double quantile)
        {
            if (_latencies.Count == 0)
            {
                return null;
            }

            var rank = (int)Math.Ceiling(quantile * _latencies.Count);
            return Math.Round(_latencies[Math.Clamp(rank, 1, _latencies.Count) - 1], 1);
        }
    }
}
