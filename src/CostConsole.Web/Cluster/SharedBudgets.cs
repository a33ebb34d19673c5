using System.Globalization;
using CostConsole.Data;
using CostConsole.Web.Budgets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CostConsole.Web.Cluster;

/// <summary>
/// Budgets shared by every instance: reservations and settlements are atomic scripts on one counter per budget and
/// period in Redis, so instances together can no more pass a limit than one instance alone. Each instance's
/// <see cref="BudgetCounter"/> mirrors the shared figures for the console. Reservations lapse after
/// <see cref="BudgetOptions.ReservationSeconds"/>, so those of an instance that died are released; the counters start
/// from the ledger and are checked against it on a schedule (<see cref="ReconcileAsync"/>).
/// </summary>
internal sealed partial class SharedBudgets(
    RedisStore redis,
    IDbContextFactory<CostConsoleDbContext> factory,
    IOptions<BudgetOptions> options,
    TimeProvider time,
    ILogger<SharedBudgets> logger)
{
    private readonly TimeZoneInfo _zone = options.Value.Zone();
    private int _unsettled;

    public RedisStore Redis => redis;

    /// <summary>What one budget is asked to hold for a request.</summary>
    public readonly record struct Hold(BudgetCounter Counter, long Expected, long Worst, long Allowance);

    /// <summary>Set when a settlement could not reach Redis, or requests were served without it: the next reconciliation is due at once.</summary>
    public bool NeedsReconciling => Volatile.Read(ref _unsettled) != 0;

    /// <summary>
    /// Reserves on every budget or on none. Null when reserved; else the index of the budget that refused, why, and
    /// whether its limit-reached alert is due (once per period across the cluster).
    /// </summary>
    /// <exception cref="RedisException">Redis is unreachable (see <see cref="RedisStore.IsUnreachable"/>).</exception>
    public Task<(int Index, BudgetRefusal Refusal, bool Alert)?> ReserveAsync(string id, IReadOnlyList<Hold> holds, DateTimeOffset now, DateTimeOffset expires) =>
        ReserveAsync(id, holds, now, expires, synchronous: false);

    /// <summary>As <see cref="ReserveAsync(string, IReadOnlyList{Hold}, DateTimeOffset, DateTimeOffset)"/>, for a step up a tier, which is decided synchronously.</summary>
    public (int Index, BudgetRefusal Refusal, bool Alert)? Reserve(string id, IReadOnlyList<Hold> holds, DateTimeOffset now, DateTimeOffset expires) =>
        ReserveAsync(id, holds, now, expires, synchronous: true).GetAwaiter().GetResult();

    private async Task<(int Index, BudgetRefusal Refusal, bool Alert)?> ReserveAsync(string id, IReadOnlyList<Hold> holds, DateTimeOffset now, DateTimeOffset expires, bool synchronous)
    {
        var keys = new RedisKey[holds.Count * 3];
        var args = new RedisValue[4 + holds.Count * 4];
        var periods = new (DateTimeOffset Start, DateTimeOffset End)[holds.Count];
        args[0] = id;
        args[1] = now.ToUnixTimeMilliseconds();
        args[2] = expires.ToUnixTimeMilliseconds();
        var ttl = 0L;
        for (var i = 0; i < holds.Count; i++)
        {
            var hold = holds[i];
            periods[i] = BudgetPeriods.Containing(hold.Counter.Budget.Period, now, _zone);
            Keys(hold.Counter.Budget, periods[i].Start).CopyTo(keys, i * 3);
            ttl = Math.Max(ttl, Ttl(periods[i].End, expires, now));
            args[4 + i * 4] = hold.Expected;
            args[5 + i * 4] = hold.Worst;
            args[6 + i * 4] = hold.Allowance;
            args[7 + i * 4] = hold.Counter.Budget.LimitNanoUsd;
        }

        args[3] = ttl;
        for (var attempt = 0; ; attempt++)
        {
            var result = (RedisResult[])(synchronous
                ? redis.Database.ScriptEvaluate(BudgetScripts.Reserve, keys, args)
                : await redis.Database.ScriptEvaluateAsync(BudgetScripts.Reserve, keys, args))!;
            var code = (int)result[0];
            if (code == 0)
            {
                for (var i = 0; i < holds.Count; i++)
                {
                    holds[i].Counter.Mirror(periods[i].Start, periods[i].End, (long)result[1 + i * 3], (long)result[2 + i * 3], (int)result[3 + i * 3]);
                }

                return null;
            }

            var index = (int)result[1] - 1;
            if (code == -1 && attempt < 3)
            {
                // No counter for this period yet, or Redis lost it: start it from the ledger and try again.
                await StartAsync(holds[index].Counter, now, CancellationToken.None);
                continue;
            }

            var refused = holds[index];
            var (spent, reservedByOthers, others) = ((long)result[2], (long)result[3], (int)result[4]);
            var limit = refused.Counter.Budget.LimitNanoUsd;
            var refusal = code == 1
                ? new BudgetRefusal(now, $"{BudgetGuard.Usd(Math.Max(0, limit - spent - reservedByOthers))} left after {BudgetGuard.Usd(spent)} spent and {BudgetGuard.Usd(reservedByOthers)} reserved across all instances; it needed {BudgetGuard.Usd(refused.Expected)}", refused.Expected)
                {
                    Waitable = spent + refused.Expected <= limit && reservedByOthers > 0,
                }
                : new BudgetRefusal(now, $"{others} request(s) in flight across all instances and this one could together pass the limit by more than the overrun bound of {BudgetGuard.Usd(refused.Allowance)} (its worst case {BudgetGuard.Usd(refused.Worst)})", 0)
                {
                    Waitable = others > 0,
                };
            return (index, refusal, code == 1 && (int)result[5] == 1);
        }
    }

    /// <summary>Sets the request's reservation on each budget to what it has spent, without a check (a step up was refused).</summary>
    public void HoldSpent(string id, IReadOnlyList<BudgetCounter> counters, long amount, DateTimeOffset now, DateTimeOffset expires)
    {
        var keys = counters.SelectMany(c => Keys(c.Budget, BudgetPeriods.Containing(c.Budget.Period, now, _zone).Start)).ToArray();
        redis.Database.ScriptEvaluate(BudgetScripts.Hold, keys, [id, now.ToUnixTimeMilliseconds(), expires.ToUnixTimeMilliseconds(), amount]);
    }

    /// <summary>
    /// Sets what a batch still holds on each budget, without a check. When Redis cannot take it, the batch's earlier
    /// hold stays until it lapses with the batch, and the next reconciliation takes spend from the ledger.
    /// </summary>
    public void HoldBatch(string id, IReadOnlyList<BudgetCounter> counters, long amount, DateTimeOffset now, DateTimeOffset expires)
    {
        try
        {
            HoldSpent(id, counters, amount, now, expires);
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            MarkUnsettled();
            BatchNotHeld(logger, id, redis.Endpoint, ex.Message);
        }
    }

    /// <summary>Gives back what a batch holds on the current period of each of <paramref name="counters"/>.</summary>
    public void ReleaseBatch(string id, IReadOnlyList<BudgetCounter> counters, DateTimeOffset now)
    {
        if (counters.Count == 0)
        {
            return;
        }

        try
        {
            var keys = counters.SelectMany(c => Keys(c.Budget, BudgetPeriods.Containing(c.Budget.Period, now, _zone).Start)).ToArray();
            redis.Database.ScriptEvaluate(BudgetScripts.Release, keys, [id]);
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            MarkUnsettled();
            BatchNotHeld(logger, id, redis.Endpoint, ex.Message);
        }
    }

    /// <summary>
    /// Replaces the request's reservations with its actual cost; returns, per budget, the thresholds it crossed for the
    /// first time in the cluster this period. When Redis cannot be reached the reservation lapses and the next
    /// reconciliation takes the cost from the ledger.
    /// </summary>
    public async Task<IReadOnlyList<int>[]> SettleAsync(string id, IReadOnlyList<BudgetCounter> counters, long actual, DateTimeOffset now)
    {
        var keys = new RedisKey[counters.Count * 3];
        var args = new RedisValue[3 + counters.Count * 2];
        var periods = new (DateTimeOffset Start, DateTimeOffset End)[counters.Count];
        args[0] = id;
        args[1] = actual;
        args[2] = now.ToUnixTimeMilliseconds();
        for (var i = 0; i < counters.Count; i++)
        {
            var budget = counters[i].Budget;
            periods[i] = BudgetPeriods.Containing(budget.Period, now, _zone);
            Keys(budget, periods[i].Start).CopyTo(keys, i * 3);
            args[3 + i * 2] = budget.LimitNanoUsd;
            args[4 + i * 2] = string.Join(',', budget.Thresholds);
        }

        var crossed = new IReadOnlyList<int>[counters.Count];
        Array.Fill(crossed, []);
        try
        {
            var result = (RedisResult[])(await redis.Database.ScriptEvaluateAsync(BudgetScripts.Settle, keys, args))!;
            for (var i = 0; i < counters.Count; i++)
            {
                counters[i].Mirror(periods[i].Start, periods[i].End, (long)result[i * 4], (long)result[1 + i * 4], (int)result[2 + i * 4]);
                counters[i].Observe(actual, now);
                crossed[i] = [.. ((string?)result[3 + i * 4] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(t => int.Parse(t, CultureInfo.InvariantCulture))];
            }
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            MarkUnsettled();
            NotSettled(logger, id, redis.Endpoint, ex.Message);
        }

        return crossed;
    }

    /// <summary>Requests were served (or settled) without Redis: their cost reaches the shared counters from the ledger at the next reconciliation.</summary>
    public void MarkUnsettled() => Volatile.Write(ref _unsettled, 1);

    /// <summary>Starts the budget's counter for the current period from the ledger, unless another instance already has.</summary>
    public async Task StartAsync(BudgetCounter counter, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var budget = counter.Budget;
        var (start, end) = BudgetPeriods.Containing(budget.Period, now, _zone);
        long spent;
        List<int> fired;
        await using (var db = await factory.CreateDbContextAsync(cancellationToken))
        {
            spent = await BudgetGuard.LedgerSpendAsync(db, budget, start, cancellationToken);
            fired = await db.BudgetAlerts.AsNoTracking().Where(a => a.BudgetId == budget.Id && a.PeriodStart == start).Select(a => a.Threshold).ToListAsync(cancellationToken);
        }

        var keys = Keys(budget, start);
        if ((int)await redis.Database.ScriptEvaluateAsync(BudgetScripts.Start, keys, [spent, Ttl(end, end, now), string.Join(',', fired)]) == 1)
        {
            Started(logger, budget.Name, BudgetGuard.Usd(spent));
        }

        await RefreshAsync(counter, now);
    }

    /// <summary>
    /// Brings each budget's shared counter in line with the ledger: starts missing ones, releases lapsed reservations,
    /// and, when nothing is in flight, sets spent to what the ledger holds — the cost of requests served while Redis was
    /// down, or settled by an instance that died before it could. Then mirrors the figures for the console.
    /// </summary>
    public async Task ReconcileAsync(IReadOnlyList<BudgetCounter> counters, CancellationToken cancellationToken)
    {
        var clean = true;
        var now = time.GetUtcNow();
        foreach (var counter in counters)
        {
            var budget = counter.Budget;
            var (start, _) = BudgetPeriods.Containing(budget.Period, now, _zone);
            var keys = Keys(budget, start);
            var db = redis.Database;
            var seen = await db.HashGetAsync(keys[0], ["spent", "seq"]);
            if (seen[0].IsNull)
            {
                await StartAsync(counter, now, cancellationToken);
                continue;
            }

            if ((long)await db.ScriptEvaluateAsync(BudgetScripts.Purge, keys, [now.ToUnixTimeMilliseconds()]) > 0)
            {
                clean = false;
                await RefreshAsync(counter, now);
                continue;
            }

            long ledger;
            await using (var context = await factory.CreateDbContextAsync(cancellationToken))
            {
                ledger = await BudgetGuard.LedgerSpendAsync(context, budget, start, cancellationToken);
            }

            var result = (RedisResult[])(await db.ScriptEvaluateAsync(BudgetScripts.Reconcile, keys, [seen[1].IsNull ? "0" : seen[1], ledger, now.ToUnixTimeMilliseconds()]))!;
            if ((int)result[0] == 1 && (long)result[1] != ledger)
            {
                Corrected(logger, budget.Name, BudgetGuard.Usd((long)result[1]), BudgetGuard.Usd(ledger));
            }
            else if ((int)result[0] == 0)
            {
                clean = false;
            }

            await RefreshAsync(counter, now);
        }

        if (clean)
        {
            Volatile.Write(ref _unsettled, 0);
        }
    }

    /// <summary>Mirrors every budget's shared figures into this instance's counters, for the console.</summary>
    public async Task RefreshAsync(IReadOnlyList<BudgetCounter> counters)
    {
        var now = time.GetUtcNow();
        foreach (var counter in counters)
        {
            await RefreshAsync(counter, now);
        }
    }

    /// <summary>Mirrors the shared figures into the instance's counter.</summary>
    private async Task RefreshAsync(BudgetCounter counter, DateTimeOffset now)
    {
        var (start, end) = BudgetPeriods.Containing(counter.Budget.Period, now, _zone);
        var keys = Keys(counter.Budget, start);
        var figures = await redis.Database.HashGetAsync(keys[0], ["spent", "reserved"]);
        var inFlight = await redis.Database.HashLengthAsync(keys[1]);
        if (figures[0].IsNull)
        {
            return;
        }

        counter.Mirror(start, end, (long)figures[0], figures[1].IsNull ? 0 : (long)figures[1], (int)inFlight);
    }

    /// <summary>
    /// A budget's keys for one period. Its scope is part of the name: a budget edited to cover another slice of traffic
    /// starts a new counter from the ledger, as it does on a single instance.
    /// </summary>
    private RedisKey[] Keys(BudgetRule budget, DateTimeOffset periodStart)
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"budget:{budget.Id}:{budget.Scope}:{budget.ScopeValue}:{budget.Period}:{periodStart.ToUnixTimeSeconds()}");
        return [redis.Key(name), redis.Key(name + ":reservations"), redis.Key(name + ":expiries")];
    }

    /// <summary>A period's keys live a day past its end, or past the last reservation's expiry.</summary>
    private static long Ttl(DateTimeOffset periodEnd, DateTimeOffset expires, DateTimeOffset now) =>
        (long)Math.Ceiling((Max(periodEnd, expires) - now).TotalSeconds) + 86_400;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "Budget '{Budget}' started its shared counter from the ledger at {Spent}.")]
    private static partial void Started(ILogger logger, string budget, string spent);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Budget '{Budget}': the shared counter held {Before}, the ledger {Ledger}; set to the ledger's figure.")]
    private static partial void Corrected(ILogger logger, string budget, string before, string ledger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Batch hold {Reservation} could not be changed on Redis at {Endpoint} ({Error}); it lapses with the batch, and spend is taken from the ledger at the next reconciliation.")]
    private static partial void BatchNotHeld(ILogger logger, string reservation, string endpoint, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request {Reservation} could not settle on Redis at {Endpoint} ({Error}); its cost reaches the shared counter from the ledger at the next reconciliation.")]
    private static partial void NotSettled(ILogger logger, string reservation, string endpoint, string error);
}

/// <summary>Reconciles the shared budget counters with the ledger every few seconds, and at once after Redis comes back.</summary>
internal sealed partial class BudgetReconciler(SharedBudgets shared, BudgetGuard guard, IOptions<RedisOptions> options, ILogger<BudgetReconciler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var every = TimeSpan.FromSeconds(options.Value.ReconcileSeconds);
        var last = DateTimeOffset.MinValue;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                if (!shared.Redis.IsConnected)
                {
                    continue;
                }

                try
                {
                    if (shared.NeedsReconciling || DateTimeOffset.UtcNow - last >= every)
                    {
                        await shared.ReconcileAsync(guard.Counters, stoppingToken);
                        last = DateTimeOffset.UtcNow;
                    }
                    else
                    {
                        await shared.RefreshAsync(guard.Counters);
                    }
                }
                catch (Exception ex) when (RedisStore.IsUnreachable(ex) || ex is System.Data.Common.DbException)
                {
                    NotReconciled(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The shared budget counters could not be reconciled with the ledger: {Error}. Trying again shortly.")]
    private static partial void NotReconciled(ILogger logger, string error);
}
