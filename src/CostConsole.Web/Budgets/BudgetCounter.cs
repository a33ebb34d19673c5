using CostConsole.Data.Entities;

namespace CostConsole.Web.Budgets;

/// <summary>A budget as admission checks it, compiled from its row.</summary>
public sealed record BudgetRule(long Id, string Name, BudgetScope Scope, string? ScopeValue, BudgetPeriod Period, long LimitNanoUsd, IReadOnlyList<int> Thresholds, string? WebhookUrl)
{
    public string Describe() => Scope == BudgetScope.Global ? $"'{Name}' (global, {Period.ToString().ToLowerInvariant()})" : $"'{Name}' ({Scope.ToString().ToLowerInvariant()} {ScopeValue}, {Period.ToString().ToLowerInvariant()})";
}

/// <summary>What a budget stands at: settled spend, reserved for requests in flight, and its period.</summary>
public sealed record BudgetState(BudgetRule Budget, DateTimeOffset PeriodStart, DateTimeOffset PeriodEnd, long SpentNanoUsd, long ReservedNanoUsd, int InFlight)
{
    public long RemainingNanoUsd => Math.Max(0, Budget.LimitNanoUsd - SpentNanoUsd - ReservedNanoUsd);

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
    private readonly Dictionary<long, (long Amount, DateTimeOffset Expires)> _reservations = [];
    private readonly HashSet<int> _fired = [];
    private DateTimeOffset _periodStart;
    private DateTimeOffset _periodEnd;
    private long _spent;
    private long _reserved;
    private bool _limitReachedFired;

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
            }
        }
    }

    /// <summary>Reserves <paramref name="amount"/> unless spend plus reservations would pass the limit.</summary>
    /// <returns>True when reserved; false with a limit-reached alert due (once per period) when refused.</returns>
    public bool TryReserve(long reservationId, long amount, DateTimeOffset now, DateTimeOffset expires, TimeZoneInfo zone, out bool alertLimitReached)
    {
        lock (_gate)
        {
            Roll(now, zone);
            alertLimitReached = false;
            if (_spent + _reserved + amount > Budget.LimitNanoUsd)
            {
                if (!_limitReachedFired)
                {
                    _limitReachedFired = true;
                    alertLimitReached = true;
                }

                return false;
            }

            _reservations[reservationId] = (amount, expires);
            _reserved += amount;
            return true;
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
            }

            _spent += actual;
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
                    released++;
                }
            }

            return released;
        }
    }

    public BudgetState Read(DateTimeOffset now, TimeZoneInfo zone)
    {
        lock (_gate)
        {
            Roll(now, zone);
            return new BudgetState(Budget, _periodStart, _periodEnd, _spent, _reserved, _reservations.Count);
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
}
