using System.Collections.Concurrent;
using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Keys;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;
using CostConsole.Web.Api;
using CostConsole.Web.Cluster;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Budgets;

/// <summary>
/// Admission after routing: a key's allowed tiers and models, the per-request cost cap, conversation token limits,
/// and budgets. For budgets it reserves, atomically on every budget the request falls under, what the request is
/// expected to cost — prompt tokens plus <c>max_tokens</c> (or the recent p95 answer length of its tier) at the routed
/// tier's price — and settles to the real cost when the request ends. An escalation (or a fallback) to a pricier tier
/// is reserved only when the request reaches it, and is not taken when a budget cannot cover it. Each request's worst
/// case is tracked beside it, so that requests in flight can never together pass a limit by more than
/// <see cref="BudgetOptions.MaxOverrunUsd"/>. A strict budget reserves the worst case up front instead: prompt plus
/// <c>max_tokens</c> (or the default cap) at the priciest candidate, times one more for each escalation configured.
/// </summary>
internal sealed class BudgetGuard(
    IDbContextFactory<CostConsoleDbContext> factory,
    ApiKeyDirectory keys,
    KeyRateLimiter limiter,
    AlertCenter alerts,
    RoutingState routing,
    IOptions<BudgetOptions> options,
    TimeProvider time,
    SharedBudgets? shared = null) : IAdmissionControl
{
    private readonly TimeZoneInfo _zone = options.Value.Zone();
    private readonly OutputLengths _lengths = new(options.Value.DefaultOutputTokens);
    private Admission? _observeOnly;
    private readonly ConcurrentDictionary<string, ConversationTally> _conversations = new(StringComparer.Ordinal);
    private BudgetCounter[] _counters = [];
    private long _nextReservation;
    private readonly ConcurrentDictionary<string, long> _batchReservations = new(StringComparer.Ordinal);

    /// <summary>Per batch: its whole worst case, and what of it each tier or model budget holds.</summary>
    private readonly ConcurrentDictionary<string, (long Worst, Dictionary<BudgetCounter, long> Scoped)> _batchScoped = new(StringComparer.Ordinal);
    private int _sharedOutage;

    public TimeZoneInfo Zone => _zone;

    /// <summary>The enabled budgets' counters.</summary>
    internal IReadOnlyList<BudgetCounter> Counters => Volatile.Read(ref _counters);

    public ValueTask<Admission> AdmitAsync(RoutingDecision decision, ChatRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var key = caller.ApiKeyId is { } keyId ? keys.Find(keyId) : null;
        if (key is { IsRestricted: true } && Disallowed(key, decision) is { } forbidden)
        {
            return ValueTask.FromResult(Admission.Refuse(forbidden));
        }

        var conversation = caller.ConversationId;
        if (conversation is not null && settings.ConversationTokenLimit is { } tokenLimit
            && _conversations.TryGetValue(conversation, out var tally) && tally.Tokens >= tokenLimit)
        {
            return ValueTask.FromResult(Admission.Refuse(new ChatError(429, "insufficient_quota", "conversation_token_limit",
                $"Conversation '{conversation}' has used {tally.Tokens:N0} tokens today, over its limit of {tokenLimit:N0}. Start a new conversation or ask an admin to raise CostConsole:Budgets:ConversationTokenLimit.")));
        }

        var counters = Volatile.Read(ref _counters);
        List<BudgetCounter>? matched = null;
        foreach (var counter in counters)
        {
            if (Matches(counter.Budget, key, caller, decision))
            {
                (matched ??= []).Add(counter);
            }
        }

        var tracksTokens = key?.TokensPerMinute is not null || conversation is not null;
        if (matched is null && settings.MaxRequestCostUsd is null && !tracksTokens)
        {
            // Still settled, so that answer lengths are learnt before any budget needs them; one shared ticket, no allocation.
            return ValueTask.FromResult(_observeOnly ??= Admission.Reserved(outcome => Settle(0, null, null, null, outcome)));
        }

        var now = time.GetUtcNow();
        var strict = matched?.Exists(c => c.Budget.Strict) == true;
        var worst = strict || settings.MaxRequestCostUsd is not null ? WorstCaseNanoUsd(decision, request, now) : 0;
        if (settings.MaxRequestCostUsd is { } cap && worst > ToNano(cap))
        {
            return ValueTask.FromResult(Admission.Refuse(ChatError.InvalidRequest("request_cost_cap",
                $"This request could cost up to {Usd(worst)} (prompt plus max_tokens at the priciest model it may reach), above the per-request cap of {cap.ToString("0.####", CultureInfo.InvariantCulture)} USD. Lower max_tokens or shorten the prompt.",
                "max_tokens")));
        }

        var reservation = Interlocked.Increment(ref _nextReservation);
        if (matched is not null)
        {
            var step = StepCost(decision, decision.Model.TierIndex, request, now);
            if (shared is not null)
            {
                return ReserveSharedAsync(reservation, matched, worst, step, decision, request, key, conversation, cancellationToken);
            }

            if (ReserveAll(reservation, matched, worst, step, now) is { } refused)
            {
                return refused.Refusal.Waitable && settings.OverrunWaitSeconds > 0
                    ? WaitForRoomAsync(reservation, matched, worst, step, refused.Counter, decision, request, key, conversation, cancellationToken)
                    : ValueTask.FromResult(Refuse(refused.Counter, refused.Refusal, refused.Alert, decision, now));
            }
        }

        return ValueTask.FromResult(Reserved(reservation, matched, decision, request, key, conversation));
    }

    /// <summary>
    /// Reserves on the budgets' shared counters in Redis, on every matched budget or on none. Like
    /// <see cref="WaitForRoomAsync"/>, a request refused while others in flight hold the money waits for them (up to
    /// <see cref="BudgetOptions.OverrunWaitSeconds"/>); settlements on other instances are not signalled here, so it
    /// looks again every 100 ms.
    /// </summary>
    private async ValueTask<Admission> ReserveSharedAsync(
        long reservation, List<BudgetCounter> matched, long worst, (long Expected, long Worst) step,
        RoutingDecision decision, ChatRequest request, ApiKeyInfo? key, string? conversation, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var allowance = ToNano(settings.MaxOverrunUsd);
        var holds = new SharedBudgets.Hold[matched.Count];
        for (var i = 0; i < matched.Count; i++)
        {
            holds[i] = matched[i].Budget.Strict ? new(matched[i], worst, worst, 0) : new(matched[i], step.Expected, step.Worst, allowance);
        }

        var deadline = time.GetUtcNow().AddSeconds(settings.OverrunWaitSeconds);
        while (true)
        {
            var now = time.GetUtcNow();
            (int Index, BudgetRefusal Refusal, bool Alert)? refused;
            try
            {
                refused = await shared!.ReserveAsync(SharedId(reservation), holds, now, now.AddSeconds(settings.ReservationSeconds)).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisStore.IsUnreachable(ex))
            {
                return SharedStoreDown(matched, ex, reservation, decision, request, key, conversation, now);
            }

            if (refused is not { } refusal)
            {
                Interlocked.Exchange(ref _sharedOutage, 0);
                return Reserved(reservation, matched, decision, request, key, conversation);
            }

            if (!refusal.Refusal.Waitable || now >= deadline)
            {
                return Refuse(matched[refusal.Index], refusal.Refusal, refusal.Alert, decision, now);
            }

            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(100, (deadline - now).TotalMilliseconds)), time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Admission.Refuse(ChatError.ClientClosed);
            }
        }
    }

    /// <summary>
    /// Redis, which holds the budgets' shared counters, cannot be reached: refuse with a 503 that says so (fail closed),
    /// or, when an admin chose fail-open, serve the request unchecked and let the ledger bring its cost to the shared
    /// counters once Redis is back, with an alert once per outage.
    /// </summary>
    private Admission SharedStoreDown(List<BudgetCounter> matched, Exception error, long reservation, RoutingDecision decision, ChatRequest request, ApiKeyInfo? key, string? conversation, DateTimeOffset now)
    {
        var redis = shared!.Redis;
        var names = string.Join(", ", matched.Select(c => c.Budget.Describe()));
        if (redis.Options.WhenUnavailable == RedisUnavailable.FailClosed)
        {
            return Admission.Refuse(new ChatError(503, "server_error", "budget_store_unavailable",
                $"This request falls under budget {names}, which cannot be checked: {redis.Unreachable(error)}. Requests under a budget are refused until Redis is back; requests under no budget are still served. Try again shortly, or ask an admin to check Redis (or to set CostConsole:Redis:WhenUnavailable to FailOpen)."));
        }

        shared.MarkUnsettled();
        if (Interlocked.Exchange(ref _sharedOutage, 1) == 0)
        {
            alerts.Raise(new ConsoleAlert(now, ConsoleAlert.SharedStoreUnavailable,
                $"Budgets are not being checked: {redis.Unreachable(error)}. Requests under budget {names} are served (CostConsole:Redis:WhenUnavailable is FailOpen) and their cost is taken from the ledger into the shared counters once Redis is back."), null);
        }

        return Admission.Reserved(outcome => Settle(reservation, null, key, conversation, outcome));
    }

    private Admission Reserved(long reservation, List<BudgetCounter>? matched, RoutingDecision decision, ChatRequest request, ApiKeyInfo? key, string? conversation) =>
        Admission.Reserved(
            outcome => Settle(reservation, matched, key, conversation, outcome),
            matched is null ? null : next => CoverStep(reservation, matched, decision, request, next));

    /// <summary>Reserves on every matched budget, or on none: null when all took it, else the budget that refused and why.</summary>
    private (BudgetCounter Counter, BudgetRefusal Refusal, bool Alert)? ReserveAll(long reservation, List<BudgetCounter> matched, long worst, (long Expected, long Worst) step, DateTimeOffset now)
    {
        var settings = options.Value;
        var expires = now.AddSeconds(settings.ReservationSeconds);
        var allowance = ToNano(settings.MaxOverrunUsd);
        for (var i = 0; i < matched.Count; i++)
        {
            var counter = matched[i];
            var refusal = counter.Budget.Strict
                ? counter.TryReserve(reservation, worst, worst, 0, now, expires, _zone, out var alertLimit)
                : counter.TryReserve(reservation, step.Expected, step.Worst, allowance, now, expires, _zone, out alertLimit);
            if (refusal is null)
            {
                continue;
            }

            for (var j = 0; j < i; j++)
            {
                matched[j].Release(reservation);
            }

            return (counter, refusal, alertLimit);
        }

        return null;
    }

    /// <summary>
    /// What is spent leaves money for the request, but requests in flight hold it (or the room under the overrun bound):
    /// it waits (up to <see cref="BudgetOptions.OverrunWaitSeconds"/>) for them to settle, rather than being refused
    /// with money left.
    /// </summary>
    private async ValueTask<Admission> WaitForRoomAsync(
        long reservation, List<BudgetCounter> matched, long worst, (long Expected, long Worst) step, BudgetCounter blocking,
        RoutingDecision decision, ChatRequest request, ApiKeyInfo? key, string? conversation, CancellationToken cancellationToken)
    {
        var deadline = time.GetUtcNow().AddSeconds(options.Value.OverrunWaitSeconds);
        while (true)
        {
            // Taken before trying again, so a settlement in between is not missed.
            var settled = blocking.InFlightChanged;
            var now = time.GetUtcNow();
            if (ReserveAll(reservation, matched, worst, step, now) is not { } refused)
            {
                return Reserved(reservation, matched, decision, request, key, conversation);
            }

            if (!refused.Refusal.Waitable || now >= deadline)
            {
                return Refuse(refused.Counter, refused.Refusal, refused.Alert, decision, now);
            }

            blocking = refused.Counter;
            try
            {
                await settled.WaitAsync(deadline - now, time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // One last try at the deadline.
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return Admission.Refuse(ChatError.ClientClosed);
            }
        }
    }

    private Admission Refuse(BudgetCounter counter, BudgetRefusal refusal, bool alertLimit, RoutingDecision decision, DateTimeOffset now)
    {
        counter.Refused(refusal with { Reason = $"Request to tier '{decision.Tier}' refused: {refusal.Reason}." });
        var state = counter.Read(now, _zone);
        if (alertLimit)
        {
            RaiseLimitReached(state, now);
        }

        return Admission.Refuse(BudgetExceeded(state, refusal.Reason));
    }

    /// <summary>
    /// Re-reserves before a step up a tier: what the attempts so far cost plus the step's expected cost, on every
    /// budget that is not strict (a strict budget reserved every step up front). Null when covered; else why not,
    /// and the request's reservations are set to what it has spent, which is what it will cost without the step.
    /// </summary>
    private string? CoverStep(long reservation, List<BudgetCounter> matched, RoutingDecision decision, ChatRequest request, AdmissionStep next)
    {
        var now = time.GetUtcNow();
        var settings = options.Value;
        var soFar = ToNano(next.CostSoFar);
        var step = StepCost(decision, next.Model.TierIndex, request, now);
        var expires = now.AddSeconds(settings.ReservationSeconds);
        var allowance = ToNano(settings.MaxOverrunUsd);
        if (shared is not null)
        {
            return CoverSharedStep(reservation, matched, next, soFar, step, allowance, now, expires);
        }

        foreach (var counter in matched)
        {
            if (counter.Budget.Strict)
            {
                continue;
            }

            if (counter.TryReserve(reservation, soFar + step.Expected, soFar + step.Worst, allowance, now, expires, _zone, out var alertLimit) is not { } refusal)
            {
                continue;
            }

            foreach (var other in matched)
            {
                if (!other.Budget.Strict)
                {
                    other.Hold(reservation, soFar, expires);
                }
            }

            var reason = $"budget {counter.Budget.Describe()} cannot cover it: {refusal.Reason}";
            counter.Refused(refusal with { Reason = $"Step up to tier '{next.Model.Tier}' ({next.Model.Model.Id}) not taken, the answer in hand was served: {refusal.Reason}." });
            if (alertLimit)
            {
                RaiseLimitReached(counter.Read(now, _zone), now);
            }

            return reason;
        }

        return null;
    }

    private string? CoverSharedStep(long reservation, List<BudgetCounter> matched, AdmissionStep next, long soFar, (long Expected, long Worst) step, long allowance, DateTimeOffset now, DateTimeOffset expires)
    {
        var open = matched.Where(c => !c.Budget.Strict).ToList();
        if (open.Count == 0)
        {
            return null;
        }

        try
        {
            var holds = open.Select(c => new SharedBudgets.Hold(c, soFar + step.Expected, soFar + step.Worst, allowance)).ToArray();
            if (shared!.Reserve(SharedId(reservation), holds, now, expires) is not { } refused)
            {
                return null;
            }

            shared.HoldSpent(SharedId(reservation), open, soFar, now, expires);
            var counter = open[refused.Index];
            counter.Refused(refused.Refusal with { Reason = $"Step up to tier '{next.Model.Tier}' ({next.Model.Model.Id}) not taken, the answer in hand was served: {refused.Refusal.Reason}." });
            if (refused.Alert)
            {
                RaiseLimitReached(counter.Read(now, _zone), now);
            }

            return $"budget {counter.Budget.Describe()} cannot cover it: {refused.Refusal.Reason}";
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            if (shared!.Redis.Options.WhenUnavailable == RedisUnavailable.FailOpen)
            {
                shared.MarkUnsettled();
                return null;
            }

            return $"the budgets it falls under cannot be checked: {shared.Redis.Unreachable(ex)}";
        }
    }

    private string SharedId(long reservation) => shared!.Redis.InstanceId + ":" + reservation.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// What one attempt at a tier is expected to cost — prompt plus <c>max_tokens</c>, or the tier's recent p95 answer
    /// length — and at worst (prompt plus <c>max_tokens</c> or the default cap), both at the tier's priciest model.
    /// </summary>
    internal (long Expected, long Worst) StepCost(RoutingDecision decision, int tierIndex, ChatRequest request, DateTimeOffset now)
    {
        var prices = routing.Current.Prices;
        var capped = request.MaxTokens is > 0 ? request.MaxTokens.Value : (long?)null;
        var expected = 0m;
        var worst = 0m;
        foreach (var candidate in decision.Candidates)
        {
            if (candidate.TierIndex != tierIndex || prices.PriceAt(candidate.Key, now) is not { } price)
            {
                continue;
            }

            var output = capped ?? _lengths.Estimate(candidate.Tier);
            expected = Math.Max(expected, CostCalculator.Cost(price, new TokenUsage(request.PromptTokens, 0, output)));
            worst = Math.Max(worst, CostCalculator.Cost(price, new TokenUsage(request.PromptTokens, 0, Math.Max(output, capped ?? options.Value.DefaultMaxTokens))));
        }

        return (ToNano(expected), ToNano(worst));
    }

    private async ValueTask Settle(long reservation, List<BudgetCounter>? matched, ApiKeyInfo? key, string? conversation, ChatOutcome outcome)
    {
        // An embeddings model writes no answer: its zero would teach the tier's chat answers a length they do not have.
        if (outcome.IsSuccess && outcome.Model is { Model.Kind: CostConsole.Routing.Catalogue.ModelKind.Chat } answered)
        {
            _lengths.Record(answered.Tier, outcome.Usage.CompletionTokens);
        }

        var now = time.GetUtcNow();
        if (matched is not null && shared is not null)
        {
            var actual = ToNano(outcome.Cost);
            var crossed = await shared.SettleAsync(SharedId(reservation), matched, actual, now);
            for (var i = 0; i < matched.Count; i++)
            {
                foreach (var threshold in crossed[i])
                {
                    RaiseThreshold(matched[i].Read(now, _zone), threshold, now);
                }
            }
        }
        else if (matched is not null)
        {
            var actual = ToNano(outcome.Cost);
            foreach (var counter in matched)
            {
                foreach (var threshold in counter.Settle(reservation, actual, now, _zone))
                {
                    RaiseThreshold(counter.Read(now, _zone), threshold, now);
                }
            }
        }

        var tokens = outcome.Usage.TotalTokens;
        if (key?.TokensPerMinute is not null)
        {
            await limiter.AddTokensAsync(key.Id, tokens);
        }

        if (conversation is not null && tokens > 0)
        {
            var tally = _conversations.GetOrAdd(conversation, static _ => new ConversationTally());
            var ceiling = options.Value.ConversationTokenAlert;
            if (tally.Add(tokens, now, ceiling))
            {
                alerts.Raise(new ConsoleAlert(now, ConsoleAlert.ConversationTokens,
                    $"Conversation '{conversation}' has used {tally.Tokens:N0} tokens today, past the alert at {ceiling:N0}: a runaway agent loop?",
                    ConversationId: conversation), null);
            }
        }
    }

    /// <summary>The most a request can cost: its prompt plus its completion cap at the priciest candidate, for each attempt it may make.</summary>
    internal long WorstCaseNanoUsd(RoutingDecision decision, ChatRequest request, DateTimeOffset now)
    {
        var usage = new TokenUsage(request.PromptTokens, 0, request.MaxTokens is > 0 ? request.MaxTokens.Value : options.Value.DefaultMaxTokens);
        var prices = routing.Current.Prices;
        var most = 0m;
        foreach (var candidate in decision.Candidates)
        {
            if (prices.PriceAt(candidate.Key, now) is { } price)
            {
                most = Math.Max(most, CostCalculator.Cost(price, usage));
            }
        }

        // A request may be answered, judged wanting and escalated up to the rule set's bound, and no further than the
        // tiers above it: each attempt it may make is reserved. A request pinned to one model cannot escalate.
        var tiersAbove = decision.Candidates.Select(c => c.TierIndex).Distinct().Count() - 1;
        var escalations = Math.Min(tiersAbove, options.Value.EscalationsReserved ?? routing.Current.Escalation.MaxEscalations);
        return ToNano(most) * (1 + Math.Max(0, escalations));
    }

    private static ChatError? Disallowed(ApiKeyInfo key, RoutingDecision decision)
    {
        if (key.AllowedTiers.Count > 0 && !key.AllowedTiers.Contains(decision.Tier))
        {
            return new ChatError(403, "permission_error", "tier_not_allowed",
                $"The API key '{key.Name}' may use the tiers {string.Join(", ", key.AllowedTiers.Order())}; this request was routed to '{decision.Tier}'.", "model");
        }

        var model = decision.Model;
        if (key.AllowedModels.Count > 0 && !key.AllowedModels.Contains(model.Key) && !key.AllowedModels.Contains(model.Model.Id))
        {
            return new ChatError(403, "permission_error", "model_not_allowed",
                $"The API key '{key.Name}' may use the models {string.Join(", ", key.AllowedModels.Order())}; this request would go to '{model.Key}'.", "model");
        }

        return null;
    }

    private static bool Matches(BudgetRule budget, ApiKeyInfo? key, CallerContext caller, RoutingDecision decision) => budget.Scope switch
    {
        BudgetScope.Global => true,
        BudgetScope.Team => key?.Team is { } team && string.Equals(team, budget.ScopeValue, StringComparison.Ordinal),
        BudgetScope.Key => caller.ApiKeyId is { } id && budget.ScopeValue == id.ToString(CultureInfo.InvariantCulture),
        BudgetScope.Tier => string.Equals(decision.Tier, budget.ScopeValue, StringComparison.Ordinal),
        BudgetScope.Model => decision.Model.Key == budget.ScopeValue || decision.Model.Model.Id == budget.ScopeValue,
        _ => false,
    };

    private static ChatError BudgetExceeded(BudgetState state, string reason) => new(429, "insufficient_quota", "budget_exceeded",
        $"Budget {state.Budget.Describe()} would be exceeded: {reason} (limit {Usd(state.Budget.LimitNanoUsd)}). It resets at {state.PeriodEnd:yyyy-MM-dd HH:mm} UTC.");

    private void RaiseThreshold(BudgetState state, int threshold, DateTimeOffset now)
    {
        var budget = state.Budget;
        alerts.Raise(new ConsoleAlert(now, ConsoleAlert.BudgetThreshold,
            $"Budget '{budget.Name}' passed {threshold} %: {Usd(state.SpentNanoUsd)} of {Usd(budget.LimitNanoUsd)} spent this {PeriodNoun(budget.Period)}.",
            budget.Id, budget.Name, threshold, state.PeriodStart, null, state.SpentNanoUsd, budget.LimitNanoUsd), budget.WebhookUrl);
    }

    private void RaiseLimitReached(BudgetState state, DateTimeOffset now)
    {
        var budget = state.Budget;
        alerts.Raise(new ConsoleAlert(now, ConsoleAlert.BudgetLimitReached,
            $"Budget '{budget.Name}' is exhausted: requests are being refused until {state.PeriodEnd:yyyy-MM-dd HH:mm} UTC ({Usd(state.SpentNanoUsd)} spent, {Usd(state.ReservedNanoUsd)} in flight, limit {Usd(budget.LimitNanoUsd)}).",
            budget.Id, budget.Name, 100, state.PeriodStart, null, state.SpentNanoUsd, budget.LimitNanoUsd), budget.WebhookUrl);
    }

    private static string PeriodNoun(BudgetPeriod period) => period switch
    {
        BudgetPeriod.Daily => "day",
        BudgetPeriod.Weekly => "week",
        _ => "month",
    };

    internal static long ToNano(decimal usd) => (long)Math.Round(usd * 1_000_000_000m, MidpointRounding.AwayFromZero);

    internal static string Usd(long nano) => "$" + (nano / 1e9m).ToString(nano < 10_000_000 ? "0.000000" : "0.0000", CultureInfo.InvariantCulture);

    /// <summary>
    /// The most one batch line may cost at the batch price: its prompt plus <c>max_tokens</c> (or the default cap) at the
    /// priciest model it may reach — the model it names, its tier and the tiers above, or any model for "auto" — for each
    /// attempt it may make.
    /// </summary>
    internal long BatchLineWorstNanoUsd(string model, long promptTokens, int? maxTokens, DateTimeOffset now, BatchScopes? scopes = null)
    {
        var snapshot = routing.Current;
        IEnumerable<RoutedModel> reachable = snapshot.FindModel(model) is { } pinned ? [pinned]
            : snapshot.IsTier(model) ? snapshot.Models.Where(m => m.TierIndex >= snapshot.Tiers.ToList().IndexOf(model))
            : snapshot.Models;
        var usage = new TokenUsage(promptTokens, 0, maxTokens is > 0 ? maxTokens.Value : options.Value.DefaultMaxTokens);
        var most = 0m;
        var tiers = new HashSet<int>();
        foreach (var candidate in reachable)
        {
            tiers.Add(candidate.TierIndex);
            if (snapshot.Prices.PriceAt(candidate.Key, now) is { } price)
            {
                most = Math.Max(most, CostCalculator.Cost(price.ForBatch(), usage));
            }
        }

        var escalations = Math.Min(tiers.Count - 1, options.Value.EscalationsReserved ?? snapshot.Escalation.MaxEscalations);
        var worst = ToNano(most) * (1 + Math.Max(0, escalations));
        scopes?.Add(reachable, worst);
        return worst;
    }

    /// <summary>
    /// Reserves a batch's worst case, whole, on the global budgets and those of the key and its team, and on each tier
    /// or model budget the worst case of the lines that may reach it (<paramref name="scopes"/>), or on none: null when
    /// reserved, else the refusal with the budget and the reason. Each line is still admitted like any request. With
    /// Redis the reservation is held on the shared counters, under the batch's id rather than this instance's, so
    /// whichever instance later runs the batch takes it over.
    /// </summary>
    internal ChatError? ReserveBatch(string batchId, long? apiKeyId, long worstNanoUsd, DateTimeOffset expires, BatchScopes? scopes = null)
    {
        var now = time.GetUtcNow();
        var scoped = ScopedBudgets(scopes);
        var matched = BatchBudgets(apiKeyId).Select(c => (Counter: c, Amount: worstNanoUsd)).Concat(scoped.Select(s => (Counter: s.Key, Amount: s.Value))).ToList();
        if (shared is not null)
        {
            if (matched.Count == 0)
            {
                return null;
            }

            var sharedRefusal = ReserveSharedBatch(batchId, matched, now, expires);
            if (sharedRefusal is null && scoped.Count > 0)
            {
                _batchScoped[batchId] = (worstNanoUsd, scoped);
            }

            return sharedRefusal;
        }

        var reservation = _batchReservations.GetOrAdd(batchId, _ => Interlocked.Increment(ref _nextReservation));
        for (var i = 0; i < matched.Count; i++)
        {
            var amount = matched[i].Amount;
            if (matched[i].Counter.TryReserve(reservation, amount, amount, 0, now, expires, _zone, out var alertLimit) is not { } refusal)
            {
                continue;
            }

            for (var j = 0; j < i; j++)
            {
                matched[j].Counter.Release(reservation);
            }

            _batchReservations.TryRemove(batchId, out _);
            return RefuseBatch(matched[i].Counter, refusal, alertLimit, amount, now);
        }

        if (scoped.Count > 0)
        {
            _batchScoped[batchId] = (worstNanoUsd, scoped);
        }

        return null;
    }

    private ChatError? ReserveSharedBatch(string batchId, List<(BudgetCounter Counter, long Amount)> matched, DateTimeOffset now, DateTimeOffset expires)
    {
        try
        {
            var holds = matched.Select(m => new SharedBudgets.Hold(m.Counter, m.Amount, m.Amount, 0)).ToArray();
            if (shared!.Reserve(BatchSharedId(batchId), holds, now, expires) is not { } refused)
            {
                Interlocked.Exchange(ref _sharedOutage, 0);
                return null;
            }

            return RefuseBatch(matched[refused.Index].Counter, refused.Refusal, refused.Alert, matched[refused.Index].Amount, now);
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            var redis = shared!.Redis;
            var names = string.Join(", ", matched.Select(m => m.Counter.Budget.Describe()));
            if (redis.Options.WhenUnavailable == RedisUnavailable.FailClosed)
            {
                return new ChatError(503, "server_error", "budget_store_unavailable",
                    $"This batch falls under budget {names}, which cannot be checked: {redis.Unreachable(ex)}. Nothing was started. Batches under a budget are refused until Redis is back; try again shortly, or ask an admin to check Redis (or to set CostConsole:Redis:WhenUnavailable to FailOpen).");
            }

            // Fail-open: the batch runs; each line is still admitted (or served unchecked) and its cost reaches the shared counters from the ledger.
            shared.MarkUnsettled();
            return null;
        }
    }

    private ChatError RefuseBatch(BudgetCounter counter, BudgetRefusal refusal, bool alertLimit, long worstNanoUsd, DateTimeOffset now)
    {
        counter.Refused(refusal with { Reason = $"Batch refused: {refusal.Reason}." });
        var state = counter.Read(now, _zone);
        if (alertLimit)
        {
            RaiseLimitReached(state, now);
        }

        return new ChatError(429, "insufficient_quota", "budget_exceeded",
            $"The batch could cost up to {Usd(worstNanoUsd)} at the batch price (every line's prompt plus max_tokens at the priciest model it may reach), "
            + $"and budget {state.Budget.Describe()} cannot hold that: {refusal.Reason} (limit {Usd(state.Budget.LimitNanoUsd)}). "
            + $"Nothing was started. Split the file, lower max_tokens, or wait until the budget resets at {state.PeriodEnd:yyyy-MM-dd HH:mm} UTC.");
    }

    /// <summary>The tier and model budgets a batch's lines may reach, with what each must hold: the worst case of the lines that may reach it.</summary>
    private Dictionary<BudgetCounter, long> ScopedBudgets(BatchScopes? scopes)
    {
        var held = new Dictionary<BudgetCounter, long>();
        if (scopes is null)
        {
            return held;
        }

        foreach (var counter in Volatile.Read(ref _counters))
        {
            var budget = counter.Budget;
            var amount = budget.Scope switch
            {
                BudgetScope.Tier => scopes.Tiers.GetValueOrDefault(budget.ScopeValue ?? ""),
                BudgetScope.Model => scopes.Models.Where(m => m.Key == budget.ScopeValue || m.Key.EndsWith("/" + budget.ScopeValue, StringComparison.Ordinal)).Sum(m => m.Value),
                _ => 0,
            };
            if (amount > 0)
            {
                held[counter] = amount;
            }
        }

        return held;
    }

    /// <summary>
    /// Sets what a batch still holds on its budgets, without a check: lowered as each line starts (the line is then
    /// admitted and settled on its own), and taken up again for the lines left when a restarted console, or another
    /// instance taking the batch over, resumes it. A tier or model budget holds its share of what is left, in proportion
    /// to what it held at the start (known to the instance that reserved the batch; after a restart or a take-over it
    /// keeps what it held until the batch ends).
    /// </summary>
    internal void HoldBatch(string batchId, long? apiKeyId, long remainingNanoUsd, DateTimeOffset expires)
    {
        _batchScoped.TryGetValue(batchId, out var scoped);
        if (shared is not null)
        {
            var now = time.GetUtcNow();
            var matched = BatchBudgets(apiKeyId);
            if (matched.Count > 0)
            {
                shared.HoldBatch(BatchSharedId(batchId), matched, remainingNanoUsd, now, expires);
            }

            if (scoped.Worst > 0)
            {
                foreach (var (counter, amount) in scoped.Scoped)
                {
                    shared.HoldBatch(BatchSharedId(batchId), [counter], Proportion(amount, remainingNanoUsd, scoped.Worst), now, expires);
                }
            }

            return;
        }

        var reservation = _batchReservations.GetOrAdd(batchId, _ => Interlocked.Increment(ref _nextReservation));
        foreach (var counter in BatchBudgets(apiKeyId))
        {
            counter.Hold(reservation, remainingNanoUsd, expires);
        }

        if (scoped.Worst > 0)
        {
            foreach (var (counter, amount) in scoped.Scoped)
            {
                counter.Hold(reservation, Proportion(amount, remainingNanoUsd, scoped.Worst), expires);
            }
        }
    }

    private static long Proportion(long amount, long remaining, long worst) => (long)((decimal)amount * Math.Min(remaining, worst) / worst);

    /// <summary>Gives back what a finished, cancelled or expired batch still held.</summary>
    internal void ReleaseBatch(string batchId)
    {
        _batchScoped.TryRemove(batchId, out _);
        if (shared is not null)
        {
            shared.ReleaseBatch(BatchSharedId(batchId), Volatile.Read(ref _counters), time.GetUtcNow());
            return;
        }

        if (!_batchReservations.TryRemove(batchId, out var reservation))
        {
            return;
        }

        foreach (var counter in Volatile.Read(ref _counters))
        {
            counter.Release(reservation);
        }
    }

    private static string BatchSharedId(string batchId) => "batch:" + batchId;

    private List<BudgetCounter> BatchBudgets(long? apiKeyId)
    {
        var key = apiKeyId is { } id ? keys.Find(id) : null;
        var matched = new List<BudgetCounter>();
        foreach (var counter in Volatile.Read(ref _counters))
        {
            var budget = counter.Budget;
            if (budget.Scope switch
            {
                BudgetScope.Global => true,
                BudgetScope.Team => key?.Team is { } team && string.Equals(team, budget.ScopeValue, StringComparison.Ordinal),
                BudgetScope.Key => apiKeyId is { } keyId && budget.ScopeValue == keyId.ToString(CultureInfo.InvariantCulture),
                _ => false,
            })
            {
                matched.Add(counter);
            }
        }

        return matched;
    }

    /// <summary>Every enabled budget's state, in name order.</summary>
    public IReadOnlyList<BudgetState> States()
    {
        var now = time.GetUtcNow();
        return [.. Volatile.Read(ref _counters).Select(c => c.Read(now, _zone)).OrderBy(s => s.Budget.Name, StringComparer.CurrentCultureIgnoreCase)];
    }

    /// <summary>Releases reservations of requests that never settled, and forgets yesterday's conversations.</summary>
    public int Sweep()
    {
        var now = time.GetUtcNow();
        var released = 0;
        foreach (var counter in Volatile.Read(ref _counters))
        {
            released += counter.Expire(now);
        }

        foreach (var (id, tally) in _conversations)
        {
            if (tally.IsStale(now))
            {
                _conversations.TryRemove(id, out _);
            }
        }

        return released;
    }

    /// <summary>
    /// Loads the enabled budgets and starts each one's period from the ledger's spend so far, so a restart loses
    /// nothing. Reservations in flight carry over to the reloaded budget of the same id.
    /// </summary>
    public Task ReloadAsync(CancellationToken cancellationToken = default) => LoadAsync(keepUnchanged: false, cancellationToken);

    /// <summary>
    /// Takes in budgets added, edited or deleted. A budget whose scope and period are unchanged keeps its live counter
    /// (new limit, thresholds and name apply at once): requests in flight settle into it, and the ledger is not read
    /// again. Only new budgets, and budgets whose slice of traffic changed, start from the ledger.
    /// </summary>
    public Task ApplyChangesAsync(CancellationToken cancellationToken = default) => LoadAsync(keepUnchanged: true, cancellationToken);

    private async Task LoadAsync(bool keepUnchanged, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Budgets.AsNoTracking().Where(b => b.Enabled).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        var previous = Volatile.Read(ref _counters).ToDictionary(c => c.Budget.Id);
        var counters = new List<BudgetCounter>(rows.Count);
        foreach (var row in rows)
        {
            var rule = ToRule(row);
            if (keepUnchanged && previous.TryGetValue(rule.Id, out var live)
                && live.Budget.Scope == rule.Scope && live.Budget.ScopeValue == rule.ScopeValue && live.Budget.Period == rule.Period)
            {
                live.Change(rule);
                counters.Add(live);
                continue;
            }

            var (start, end) = BudgetPeriods.Containing(rule.Period, now, _zone);
            var spent = await LedgerSpendAsync(db, rule, start, cancellationToken);
            var fired = await db.BudgetAlerts.AsNoTracking()
                .Where(a => a.BudgetId == rule.Id && a.PeriodStart == start)
                .Select(a => a.Threshold).ToListAsync(cancellationToken);
            var counter = new BudgetCounter(rule);
            counter.Start(start, end, spent, fired);
            if (!keepUnchanged && previous.TryGetValue(rule.Id, out var old))
            {
                counter.Adopt(old);
            }

            counters.Add(counter);
        }

        Volatile.Write(ref _counters, [.. counters]);
        Changed?.Invoke();
    }

    /// <summary>Raised after budgets were loaded or changed, on the thread that changed them.</summary>
    public event Action? Changed;

    public static BudgetRule ToRule(BudgetEntity row) => new(row.Id, row.Name, row.Scope, row.ScopeValue, row.Period, row.LimitNanoUsd,
        [.. ApiKeySecrets.SplitList(row.AlertThresholds).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).Order()], row.WebhookUrl, row.Strict);

    /// <summary>What the ledger has recorded for the budget's slice of traffic since <paramref name="start"/>.</summary>
    public static async Task<long> LedgerSpendAsync(CostConsoleDbContext db, BudgetRule rule, DateTimeOffset start, CancellationToken cancellationToken)
    {
        var rows = db.RequestLog.AsNoTracking().Where(r => r.Timestamp >= start);
        var value = rule.ScopeValue ?? "";
        switch (rule.Scope)
        {
            case BudgetScope.Team:
                var keyIds = db.ApiKeys.Where(k => k.Team == value).Select(k => (long?)k.Id);
                rows = rows.Where(r => keyIds.Contains(r.ApiKeyId));
                break;
            case BudgetScope.Key:
                var keyId = long.Parse(value, CultureInfo.InvariantCulture);
                rows = rows.Where(r => r.ApiKeyId == keyId);
                break;
            case BudgetScope.Tier:
                rows = rows.Where(r => r.Tier == value);
                break;
            case BudgetScope.Model:
                rows = rows.Where(r => r.Model == value || (r.Model != null && r.Model.EndsWith("/" + value)));
                break;
        }

        return await rows.SumAsync(r => (long?)r.CostNanoUsd, cancellationToken) ?? 0;
    }

    /// <summary>Tokens a conversation has used today, and whether its alert has gone out.</summary>
    private sealed class ConversationTally
    {
        private long _tokens;
        private long _day;
        private int _alerted;

        public long Tokens => Volatile.Read(ref _tokens);

        /// <summary>Adds tokens; true exactly once a day, when the total first reaches <paramref name="ceiling"/>.</summary>
        public bool Add(long tokens, DateTimeOffset now, long ceiling)
        {
            var day = now.ToUnixTimeMilliseconds() / 86_400_000;
            if (Interlocked.Exchange(ref _day, day) != day)
            {
                Interlocked.Exchange(ref _tokens, 0);
                Interlocked.Exchange(ref _alerted, 0);
            }

            var total = Interlocked.Add(ref _tokens, tokens);
            return ceiling > 0 && total >= ceiling && Interlocked.Exchange(ref _alerted, 1) == 0;
        }

        public bool IsStale(DateTimeOffset now) => now.ToUnixTimeMilliseconds() / 86_400_000 > Volatile.Read(ref _day);
    }
}

/// <summary>Loads budgets at start, then releases expired reservations every few seconds.</summary>
internal sealed class BudgetMaintenance(BudgetGuard guard) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                guard.Sweep();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}

/// <summary>What a batch's lines may cost on each tier and model they may reach, gathered line by line as the batch is created.</summary>
internal sealed class BatchScopes
{
    public Dictionary<string, long> Tiers { get; } = new(StringComparer.Ordinal);

    /// <summary>By model key (provider/id).</summary>
    public Dictionary<string, long> Models { get; } = new(StringComparer.Ordinal);

    public void Add(IEnumerable<RoutedModel> reachable, long worstNanoUsd)
    {
        var tiers = new HashSet<string>(StringComparer.Ordinal);
        var models = new HashSet<string>(StringComparer.Ordinal);
        foreach (var model in reachable)
        {
            tiers.Add(model.Tier);
            models.Add(model.Key);
        }

        foreach (var tier in tiers)
        {
            Tiers[tier] = Tiers.GetValueOrDefault(tier) + worstNanoUsd;
        }

        foreach (var model in models)
        {
            Models[model] = Models.GetValueOrDefault(model) + worstNanoUsd;
        }
    }
}
