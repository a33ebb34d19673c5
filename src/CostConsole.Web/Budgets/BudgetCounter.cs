using CostConsole.Data.Entities;

namespace CostConsole.Web.Budgets;

/// <summary>A budget as admission checks it, compiled from its row.</summary>
/// <remarks>A strict budget reserves each request's worst case up front: a hard ceiling that refuses early.</remarks>
public sealed record BudgetRule(long Id, string Name, BudgetScope Scope, string? ScopeValue, BudgetPeriod Period, long LimitNanoUsd, IReadOnlyList<int> Thresholds, string? WebhookUrl, bool Strict = false)
{
    public string Describe() => Scope == BudgetScope.Global ? $"'{Name}' (global, {Period.ToString().ToLowerInvariant()})" : $"'{Name}' ({Scope.ToString().ToLowerInvariant()} {ScopeValue}, {Period.ToString().ToLowerInvariant()})";
}

/// <summary>A request or a step of one that a budget refused, and why.</summary>
/// <remarks><paramref name="NeededNanoUsd"/> is what the request would have reserved; zero when it was refused for the overrun bound alone.</remarks>
public sealed record BudgetRefusal(DateTimeOffset At, string Reason, long NeededNanoUsd)
{
    /// <summary>Refused while other requests are in flight that may free the money or the room under the overrun bound when they settle.</summary>
    public bool Waitable { get; init; }
}

/// <summary>What a budget stands at: settled spend, reserved for requests in flight, and its period.</summary>
public sealed record BudgetState(BudgetRule Budget, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long SpentNanoUsd, long ReservedNanoUsd, int InFlight)
{
    public long RemainingNanoUsd => Math.Max(0, Budget.LimitNanoUsd - SpentNanoUsd - ReservedNanoUsd);

    /// <summary>What the budget's requests settled to in the last hour.</summary>
    public long SpentLastHourNanoUsd { get; init; }

    /// <summary>The latest refusals, newest first.</summary>
    public IReadOnlyList<BudgetRefusal> Refusals { get; init; } = [];

    /// <summary>
    /// Out of money: nothing remains, or the latest refusal this period was for lack of money and what remains is still
    /// less than that request needed.
    /// </summary>
    public bool IsExhausted => RemainingNanoUsd == 0
        || (Refusals.Count > 0 && Refusals[0] is { NeededNanoUsd: > 0 } last && last.At >= PeriodStart && last.NeededNanoUsd > RemainingNanoUsd);

    /// <summary>When what remains runs out at the last hour's rate of spend; null without spend in the last hour.</summary>
    public DateTimeOffset? LastsUntil(DateTimeOffset now)
    {
        if (SpentLastHourNanoUsd <= 0)
        {
            return null;
        }

        var hours = (double)RemainingNanoUsd / SpentLastHourNanoUsd;
        return hours > (PeriodEnd - now).TotalHours ? PeriodEnd : now.AddHours(hours);
    }

    /// <summary>Spend at period end if it goes on at the average rate of the period so far.</summary>
    public long ProjectedNanoUsd(DateTimeOffset now)
    {
        var elapsed = (now - PeriodStart).TotalSeconds;
        var total = (PeriodEnd - PeriodStart).TotalSeconds;
        return elapsed <= 60 ? SpentNanoUsd : (long)(SpentNanoUsd * Math.Min(total / elapsed, 1e6));
    }
}

/// <summary>
/// The spend and reservations of one budget in its current period. Every change happens under the budget's own lock,
/// so concurrent requests cannot together reserve past the limit; requests that match no budget never touch one.
/// </summary>
public sealed class BudgetCounter(BudgetRule budget)
{
    private readonly Lock _gate = new();
    private const int RefusalsKept = 5;

    private readonly Dictionary<long, Reservation> _reservations = [];
    private readonly LinkedList<BudgetRefusal> _refusals = new();
    private readonly (long Minute, long Spent)[] _minutes = new (long, long)[60];
    private readonly HashSet<int> _fired = [];
    private DateTimeOffset _periodStart;
    private DateTimeOffset _periodEnd;
    private long _spent;
    private long _reserved;
    private long _exposure;
    private TaskCompletionSource _inFlightChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _limitReachedFired;
    private int? _sharedInFlight;

    private BudgetRule _budget = budget;

    /// <summary>The budget's rule; replaced whole when an admin edits its limit, thresholds, name or webhook.</summary>
    public BudgetRule Budget => Volatile.Read(ref _budget);

    /// <summary>Applies an edit that keeps the budget's scope and period: what is spent and reserved stays.</summary>
    public void Change(BudgetRule rule)
    {
        lock (_gate)
        {
            Volatile.Write(ref _budget, rule);
        }
    }

    /// <summary>Starts the current period from what the ledger already holds and the alerts already raised in it.</summary>
    public void Start(DateTimeOffset periodStart, DateTimeOffset periodEnd, long spent, IEnumerable<int> firedThresholds)
    {
        lock (_gate)
        {
            _periodStart = periodStart;
            _periodEnd = periodEnd;
            _spent = spent;
            _fired.Clear();
            _fired.UnionWith(firedThresholds);
            _limitReachedFired = _fired.Contains(100);
        }
    }

    /// <summary>Carries the reservations in flight over from the counter this one replaces (the budget was edited).</summary>
    public void Adopt(BudgetCounter previous)
    {
        lock (previous._gate)
        lock (_gate)
        {
            foreach (var (id, reservation) in previous._reservations)
            {
                _reservations[id] = reservation;
                _reserved += reservation.Amount;
                _exposure += reservation.Worst;
            }

            _refusals.Clear();
            foreach (var refusal in previous._refusals)
            {
                _refusals.AddLast(refusal);
            }

            previous._minutes.CopyTo(_minutes, 0);
        }
    }

    /// <summary>
    /// Sets the request's reservation to <paramref name="amount"/> (what it is expected to cost), replacing what it had
    /// reserved before, unless spend plus reservations would pass the limit — or unless, were every request in flight
    /// to cost its <paramref name="worst"/> case, spend would pass the limit by more than <paramref name="allowance"/>.
    /// </summary>
    /// <returns>Null when reserved; else the refusal, with a limit-reached alert due (once per period).</returns>
    public BudgetRefusal? TryReserve(long reservationId, long amount, long worst, long allowance, DateTimeOffset now, DateTimeOffset expires, TimeZoneInfo zone, out bool alertLimitReached)
    {
        lock (_gate)
        {
            Roll(now, zone);
            alertLimitReached = false;
            _reservations.TryGetValue(reservationId, out var held);
            var limit = Budget.LimitNanoUsd;
            BudgetRefusal? refusal = null;
            if (_spent + _reserved - held.Amount + amount > limit)
            {
                var left = Math.Max(0, limit - _spent - _reserved + held.Amount);
                refusal = new BudgetRefusal(now, $"{Money(left)} left after {Money(_spent)} spent and {Money(_reserved - held.Amount)} reserved; it needed {Money(amount)}", amount)
                {
                    // Requests in flight may settle for less than they reserved: the money may be there after all.
                    Waitable = _spent + amount <= limit && _reserved - held.Amount > 0,
                };
            }
            else if (_spent + _exposure - held.Worst + worst > limit + allowance)
            {
                var others = _reservations.Count - (_reservations.ContainsKey(reservationId) ? 1 : 0);
                refusal = new BudgetRefusal(now, $"{others} request(s) in flight and this one could together pass the limit by more than the overrun bound of {Money(allowance)} (its worst case {Money(worst)})", 0)
                {
                    Waitable = others > 0,
                };
            }

            if (refusal is not null)
            {
                if (refusal is { NeededNanoUsd: > 0, Waitable: false } && !_limitReachedFired)
                {
                    _limitReachedFired = true;
                    alertLimitReached = true;
                }

                return refusal;
            }

            _reservations[reservationId] = new Reservation(amount, worst, expires);
            _reserved += amount - held.Amount;
            _exposure += worst - held.Worst;
            return null;
        }
    }

    /// <summary>Sets the request's reservation without a check: to what it has already spent, when a step was refused.</summary>
    public void Hold(long reservationId, long amount, DateTimeOffset expires)
    {
        lock (_gate)
        {
            _reservations.TryGetValue(reservationId, out var held);
            _reservations[reservationId] = new Reservation(amount, amount, expires);
            _reserved += amount - held.Amount;
            _exposure += amount - held.Worst;
            SignalInFlightChanged();
        }
    }

    /// <summary>Completes the next time a request in flight settles, is released or lapses.</summary>
    public Task InFlightChanged
    {
        get
        {
            lock (_gate)
            {
                return _inFlightChanged.Task;
            }
        }
    }

    /// <summary>Wakes requests waiting for room under the overrun bound. Called under the lock.</summary>
    private void SignalInFlightChanged()
    {
        var changed = _inFlightChanged;
        _inFlightChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        changed.TrySetResult();
    }

    /// <summary>
    /// Shows the figures of the budget's shared counter (several instances keep it in Redis) instead of this instance's
    /// own, and wakes requests here that wait for room: another instance may have settled.
    /// </summary>
    public void Mirror(DateTimeOffset periodStart, DateTimeOffset periodEnd, long spent, long reserved, int inFlight)
    {
        lock (_gate)
        {
            _periodStart = periodStart;
            _periodEnd = periodEnd;
            _spent = spent;
            _reserved = reserved;
            _sharedInFlight = inFlight;
            SignalInFlightChanged();
        }
    }

    /// <summary>Counts a settlement made on the shared counter into this instance's last-hour spend.</summary>
    public void Observe(long actual, DateTimeOffset now)
    {
        lock (_gate)
        {
            var minute = now.ToUnixTimeSeconds() / 60;
            ref var bucket = ref _minutes[minute % _minutes.Length];
            bucket = bucket.Minute == minute ? (minute, bucket.Spent + actual) : (minute, actual);
        }
    }

    /// <summary>Keeps a refusal to show why requests were turned away.</summary>
    public void Refused(BudgetRefusal refusal)
    {
        lock (_gate)
        {
            _refusals.AddFirst(refusal);
            while (_refusals.Count > RefusalsKept)
            {
                _refusals.RemoveLast();
            }
        }
    }

    /// <summary>Replaces the reservation with the actual cost and returns the thresholds it crossed for the first time this period.</summary>
    public IReadOnlyList<int> Settle(long reservationId, long actual, DateTimeOffset now, TimeZoneInfo zone)
    {
        lock (_gate)
        {
            Roll(now, zone);
            if (_reservations.Remove(reservationId, out var reservation))
            {
                _reserved -= reservation.Amount;
                _exposure -= reservation.Worst;
            }

            _spent += actual;
            SignalInFlightChanged();
            var minute = now.ToUnixTimeSeconds() / 60;
            ref var bucket = ref _minutes[minute % _minutes.Length];
            bucket = bucket.Minute == minute ? (minute, bucket.Spent + actual) : (minute, actual);
            List<int>? crossed = null;
            foreach (var threshold in Budget.Thresholds)
            {
                if (_spent * 100 >= (decimal)Budget.LimitNanoUsd * threshold && _fired.Add(threshold))
                {
                    (crossed ??= []).Add(threshold);
                    if (threshold >= 100)
                    {
                        _limitReachedFired = true;
                    }
                }
            }

            return crossed ?? (IReadOnlyList<int>)[];
        }
    }

    /// <summary>Gives a reservation back without spending anything (the request was refused by another budget).</summary>
    public void Release(long reservationId)
    {
        lock (_gate)
        {
            if (_reservations.Remove(reservationId, out var reservation))
            {
                _reserved -= reservation.Amount;
                _exposure -= reservation.Worst;
                SignalInFlightChanged();
            }
        }
    }

    /// <summary>Releases reservations whose request never settled.</summary>
    public int Expire(DateTimeOffset now)
    {
        lock (_gate)
        {
            var released = 0;
            foreach (var (id, reservation) in _reservations)
            {
                if (reservation.Expires <= now)
                {
                    _reservations.Remove(id);
                    _reserved -= reservation.Amount;
                    _exposure -= reservation.Worst;
                    released++;
                }
            }

            if (released > 0)
            {
                SignalInFlightChanged();
            }

            return released;
        }
    }

    public BudgetState Read(DateTimeOffset now, TimeZoneInfo zone)
    {
        lock (_gate)
        {
            Roll(now, zone);
            var minute = now.ToUnixTimeSeconds() / 60;
            var lastHour = 0L;
            foreach (var (at, spent) in _minutes)
            {
                if (at > minute - _minutes.Length && at <= minute)
                {
                    lastHour += spent;
                }
            }

            return new BudgetState(Budget, _periodStart, _periodEnd, _spent, _reserved, _sharedInFlight ?? _reservations.Count)
            {
                SpentLastHourNanoUsd = lastHour,
                Refusals = [.. _refusals],
            };
        }
    }

    public DateTimeOffset PeriodStart
    {
        get
        {
            lock (_gate)
            {
                return _periodStart;
            }
        }
    }

    /// <summary>A new period starts from nothing; requests still in flight settle into it.</summary>
    private void Roll(DateTimeOffset now, TimeZoneInfo zone)
    {
        if (now < _periodEnd)
        {
            return;
        }

        (_periodStart, _periodEnd) = BudgetPeriods.Containing(Budget.Period, now, zone);
        _spent = 0;
        _fired.Clear();
        _limitReachedFired = false;
    }

    private static string Money(long nano) => BudgetGuard.Usd(nano);

    /// <summary>What one request holds: its expected cost, its worst case (the two are equal for a strict budget), and when it lapses.</summary>
    private readonly record struct Reservation(long Amount, long Worst, DateTimeOffset Expires);
}
