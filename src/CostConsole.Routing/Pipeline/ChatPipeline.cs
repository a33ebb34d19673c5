using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Pipeline;

/// <summary>
/// The one path every request takes — the public endpoint, the playground and experiments alike:
/// decide, call the chosen model with fallback, price the tokens, write the ledger, then answer.
/// </summary>
public sealed class ChatPipeline(RoutingState state, IModelInvoker invoker, ILedger ledger, ITokenCounter tokens, IAdmissionControl? admission = null)
{
    private readonly IAdmissionControl _admission = admission ?? AdmitAll.Instance;

    public RoutingSnapshot Snapshot => state.Current;

    public async Task<ChatOutcome> CompleteAsync(ChatRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        var snapshot = state.Current;
        var (decision, rejection) = await DecideAsync(snapshot, request, caller, cancellationToken).ConfigureAwait(false);
        if (decision is null)
        {
            return rejection!;
        }

        var admission = await _admission.AdmitAsync(decision, request, caller, cancellationToken).ConfigureAwait(false);
        if (admission.Refusal is { } refusal)
        {
            return await RefuseAsync(decision, refusal, request, caller, cancellationToken).ConfigureAwait(false);
        }

        ChatOutcome? settled = null;
        try
        {
            settled = await CompleteCoreAsync(snapshot, decision, request, caller, cancellationToken).ConfigureAwait(false);
            return settled;
        }
        finally
        {
            await admission.SettleAsync(settled ?? Failed(decision, null, [], caller, ChatError.Interrupted)).ConfigureAwait(false);
        }
    }

    private async Task<ChatOutcome> CompleteCoreAsync(RoutingSnapshot snapshot, RoutingDecision decision, ChatRequest request, CallerContext caller, CancellationToken cancellationToken)
    {

        var attempts = new List<AttemptRecord>(1);
        UpstreamReply? failure = null;
        RoutedModel? failedModel = null;
        try
        {
            foreach (var candidate in decision.Candidates)
            {
                var started = Stopwatch.GetTimestamp();
                var reply = await invoker.CompleteAsync(candidate, request, cancellationToken).ConfigureAwait(false);
                var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var cost = reply.IsSuccess ? CostCalculator.Cost(snapshot.Prices, candidate.Key, caller.ReceivedAt, reply.Usage) : null;
                attempts.Add(Attempt(candidate, reply.Status, reply.IsSuccess ? "answered" : Describe(reply), reply.Usage, cost ?? 0m, latency));
                if (reply.IsSuccess)
                {
                    var outcome = Success(snapshot, decision, candidate, reply.Usage, cost, attempts, caller, null, reply.Body);
                    await ledger.RecordAsync(Entry(outcome, request, caller, LedgerStatus.Answered, 200), cancellationToken).ConfigureAwait(false);
                    return outcome;
                }

                failure = reply;
                failedModel = candidate;
                if (reply.Failure == UpstreamFailure.Rejected)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await ClientGoneAsync(decision, attempts, request, caller).ConfigureAwait(false);
        }

        return await NoModelAnsweredAsync(decision, failure, failedModel, attempts, request, caller, cancellationToken).ConfigureAwait(false);
    }

    public async Task<ChatOutcome> StreamAsync(ChatRequest request, CallerContext caller, IChatStreamSink sink, CancellationToken cancellationToken)
    {
        var snapshot = state.Current;
        var (decision, rejection) = await DecideAsync(snapshot, request, caller, cancellationToken).ConfigureAwait(false);
        if (decision is null)
        {
            return rejection!;
        }

        var admission = await _admission.AdmitAsync(decision, request, caller, cancellationToken).ConfigureAwait(false);
        if (admission.Refusal is { } refusal)
        {
            return await RefuseAsync(decision, refusal, request, caller, cancellationToken).ConfigureAwait(false);
        }

        ChatOutcome? settled = null;
        try
        {
            settled = await StreamCoreAsync(snapshot, decision, request, caller, sink, cancellationToken).ConfigureAwait(false);
            return settled;
        }
        finally
        {
            await admission.SettleAsync(settled ?? Failed(decision, null, [], caller, ChatError.Interrupted)).ConfigureAwait(false);
        }
    }

    private async Task<ChatOutcome> StreamCoreAsync(
        RoutingSnapshot snapshot, RoutingDecision decision, ChatRequest request, CallerContext caller, IChatStreamSink sink, CancellationToken cancellationToken)
    {

        var attempts = new List<AttemptRecord>(1);
        UpstreamReply? failure = null;
        RoutedModel? failedModel = null;
        try
        {
            foreach (var candidate in decision.Candidates)
            {
                var started = Stopwatch.GetTimestamp();
                await using var upstream = await invoker.OpenStreamAsync(candidate, request, cancellationToken).ConfigureAwait(false);
                if (!upstream.IsOpen)
                {
                    failure = upstream.Failure!;
                    failedModel = candidate;
                    attempts.Add(Attempt(candidate, failure.Status, Describe(failure), default, 0m, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                    if (failure.Failure == UpstreamFailure.Rejected)
                    {
                        break;
                    }

                    continue;
                }

                var relay = new StreamRelay(request, sink, caller.StartTimestamp);
                var result = await relay.RunAsync(upstream, decision, candidate, cancellationToken).ConfigureAwait(false);
                var usage = relay.Usage(tokens);
                var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                var cost = CostCalculator.Cost(snapshot.Prices, candidate.Key, caller.ReceivedAt, usage);

                if (result == StreamResult.BrokeBeforeFirstEvent)
                {
                    // Nothing reached the client yet, so another model can still answer in full.
                    failure = new UpstreamReply { Status = 502, Body = BinaryData.Empty, Failure = UpstreamFailure.Connection, Error = relay.Error };
                    failedModel = candidate;
                    attempts.Add(Attempt(candidate, 502, "stream broke before the first event: " + relay.Error, default, 0m, latency));
                    continue;
                }

                if (result == StreamResult.BrokeMidway)
                {
                    attempts.Add(Attempt(candidate, 502, "stream broke mid-way: " + relay.Error, usage, cost ?? 0m, latency));
                    var broken = new ChatError(502, "server_error", "upstream_stream_broken", $"The answer from {candidate.Model.Id} broke off mid-way: {relay.Error}");
                    var partial = Success(snapshot, decision, candidate, usage, cost, attempts, caller, relay.TimeToFirstTokenMs, null, broken);
                    await ledger.RecordAsync(Entry(partial, request, caller, LedgerStatus.Failed, 502), CancellationToken.None).ConfigureAwait(false);
                    await sink.FailAsync(broken, cancellationToken).ConfigureAwait(false);
                    return partial;
                }

                attempts.Add(Attempt(candidate, 200, "answered", usage, cost ?? 0m, latency));
                var outcome = Success(snapshot, decision, candidate, usage, cost, attempts, caller, relay.TimeToFirstTokenMs, null);
                await ledger.RecordAsync(Entry(outcome, request, caller, LedgerStatus.Answered, 200), cancellationToken).ConfigureAwait(false);
                await sink.EndAsync(cancellationToken).ConfigureAwait(false);
                return outcome;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await ClientGoneAsync(decision, attempts, request, caller).ConfigureAwait(false);
        }

        return await NoModelAnsweredAsync(decision, failure, failedModel, attempts, request, caller, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a request refused before routing (bad key, bad body) and returns its outcome.</summary>
    public async Task<ChatOutcome> RejectAsync(CallerContext caller, ChatError error, string? requestedModel, bool stream, CancellationToken cancellationToken)
    {
        var outcome = new ChatOutcome
        {
            RequestId = caller.RequestId,
            LatencyMs = Stopwatch.GetElapsedTime(caller.StartTimestamp).TotalMilliseconds,
            Status = error.Status,
            Error = error,
        };
        await ledger.RecordAsync(
            new LedgerEntry
            {
                RequestId = caller.RequestId,
                Timestamp = caller.ReceivedAt,
                ApiKeyId = caller.ApiKeyId,
                RequestedModel = requestedModel,
                Status = LedgerStatus.Rejected,
                HttpStatus = error.Status,
                ErrorCode = error.Code,
                Error = error.Message,
                LatencyMs = outcome.LatencyMs,
                Stream = stream,
            },
            cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Records a routed request that admission control refused (budget, allowed tiers) before any model was called.</summary>
    private async Task<ChatOutcome> RefuseAsync(RoutingDecision decision, ChatError error, ChatRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        var refused = Failed(decision, decision.Model, [], caller, error);
        await ledger.RecordAsync(Entry(refused, request, caller, LedgerStatus.Rejected, error.Status), cancellationToken).ConfigureAwait(false);
        return refused;
    }

    private async Task<(RoutingDecision? Decision, ChatOutcome? Rejection)> DecideAsync(RoutingSnapshot snapshot, ChatRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        try
        {
            return (await snapshot.DecideAsync(request, new AssignmentUnit(caller.ApiKeyId, null, request.User, caller.ConversationId), cancellationToken).ConfigureAwait(false), null);
        }
        catch (ChatRequestException ex)
        {
            var error = ex.Code == "model_not_found" ? ChatError.ModelNotFound(ex.Message) : ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param);
            return (null, await RejectAsync(caller, error, request.Model, request.Stream, cancellationToken).ConfigureAwait(false));
        }
    }

    /// <summary>Every candidate failed (or one refused the request): record the failure and say why.</summary>
    private async Task<ChatOutcome> NoModelAnsweredAsync(
        RoutingDecision decision,
        UpstreamReply? failure,
        RoutedModel? failedModel,
        List<AttemptRecord> attempts,
        ChatRequest request,
        CallerContext caller,
        CancellationToken cancellationToken)
    {
        var error = FailureError(failure, failedModel, attempts);
        var failed = Failed(decision, failedModel, attempts, caller, error);
        await ledger.RecordAsync(Entry(failed, request, caller, LedgerStatus.Failed, error.Status), cancellationToken).ConfigureAwait(false);
        return failed;
    }

    private async Task<ChatOutcome> ClientGoneAsync(RoutingDecision decision, List<AttemptRecord> attempts, ChatRequest request, CallerContext caller)
    {
        var error = new ChatError(499, "client_closed", "client_closed", "The client closed the connection before the answer was complete.");
        var outcome = Failed(decision, null, attempts, caller, error);
        await ledger.RecordAsync(Entry(outcome, request, caller, LedgerStatus.Failed, 499), CancellationToken.None).ConfigureAwait(false);
        return outcome;
    }

    private static ChatOutcome Success(
        RoutingSnapshot snapshot,
        RoutingDecision decision,
        RoutedModel model,
        TokenUsage usage,
        decimal? cost,
        List<AttemptRecord> attempts,
        CallerContext caller,
        double? timeToFirstToken,
        BinaryData? body,
        ChatError? error = null)
    {
        var total = 0m;
        foreach (var attempt in attempts)
        {
            total += attempt.Cost;
        }

        if (attempts.Count == 0 || attempts[^1].Model != model.Key)
        {
            total += cost ?? 0m;
        }

        // The baseline prices the same tokens at the always-largest model; unpriced, it equals the actual cost.
        var baseline = snapshot.Baseline is { } b ? CostCalculator.Cost(snapshot.Prices, b.Key, caller.ReceivedAt, usage) ?? total : total;
        return new ChatOutcome
        {
            RequestId = caller.RequestId,
            Decision = decision,
            Model = model,
            Usage = usage,
            Cost = total,
            BaselineCost = baseline,
            LatencyMs = Stopwatch.GetElapsedTime(caller.StartTimestamp).TotalMilliseconds,
            TimeToFirstTokenMs = timeToFirstToken,
            Attempts = attempts,
            Body = body,
            Priced = cost is not null,
            Status = error?.Status ?? 200,
            Error = error,
        };
    }

    private static ChatOutcome Failed(RoutingDecision decision, RoutedModel? model, List<AttemptRecord> attempts, CallerContext caller, ChatError error)
    {
        var total = 0m;
        foreach (var attempt in attempts)
        {
            total += attempt.Cost;
        }

        return new ChatOutcome
        {
            RequestId = caller.RequestId,
            Decision = decision,
            Model = model,
            Cost = total,
            BaselineCost = total,
            LatencyMs = Stopwatch.GetElapsedTime(caller.StartTimestamp).TotalMilliseconds,
            Attempts = attempts,
            Status = error.Status,
            Error = error,
        };
    }

    private static ChatError FailureError(UpstreamReply? failure, RoutedModel? model, List<AttemptRecord> attempts)
    {
        var tried = string.Join("; ", attempts.Select(a => $"{a.Model}: {a.Outcome}"));
        if (failure is { Failure: UpstreamFailure.Rejected })
        {
            return new ChatError(failure.Status, "invalid_request_error", "upstream_rejected", $"{model?.Model.Id} refused the request: {failure.Error}");
        }

        if (attempts.Count > 0 && attempts.All(a => a.Status is 504 or 408))
        {
            return new ChatError(504, "server_error", "upstream_timeout", $"No model answered in time. Tried {tried}.");
        }

        return attempts.Count == 0
            ? new ChatError(502, "server_error", "no_model", "The tier mapping has no model to try for this request.")
            : new ChatError(502, "server_error", "upstream_error", $"No model could answer after {attempts.Count} attempt(s). Tried {tried}.");
    }

    private static string Describe(UpstreamReply reply) => reply.Failure switch
    {
        UpstreamFailure.Timeout => "timeout",
        UpstreamFailure.RateLimited => reply.RetryAfter is { } wait ? $"rate limited (retry after {wait.TotalSeconds:0} s)" : "rate limited",
        _ => reply.Error ?? $"HTTP {reply.Status}",
    };

    private static AttemptRecord Attempt(RoutedModel model, int status, string outcome, TokenUsage usage, decimal cost, double latency) =>
        new(model.Key, model.Provider.Name, model.Tier, status, outcome, usage.PromptTokens, usage.CompletionTokens, cost, Math.Round(latency, 3));

    private static LedgerEntry Entry(ChatOutcome outcome, ChatRequest request, CallerContext caller, LedgerStatus status, int httpStatus)
    {
        var prompt = request.PromptText();
        return new LedgerEntry
        {
            RequestId = caller.RequestId,
            Timestamp = caller.ReceivedAt,
            ApiKeyId = caller.ApiKeyId,
            ConversationId = caller.ConversationId,
            ExperimentId = outcome.Decision?.ExperimentId,
            Arm = outcome.Decision?.Arm,
            RequestedModel = request.Model,
            Tier = outcome.Decision?.Tier,
            Model = outcome.Model?.Key,
            Provider = outcome.Model?.Provider.Name,
            Rule = outcome.Decision?.Rule,
            Decision = outcome.Decision?.Summary,
            Mapping = outcome.Decision?.Mapping,
            RuleSetVersion = outcome.Decision?.RuleSetVersion,
            PromptTokens = outcome.Usage.PromptTokens,
            CachedTokens = outcome.Usage.CachedPromptTokens,
            CompletionTokens = outcome.Usage.CompletionTokens,
            Cost = outcome.Cost,
            BaselineCost = outcome.BaselineCost,
            Priced = outcome.Priced,
            LatencyMs = outcome.LatencyMs,
            TimeToFirstTokenMs = outcome.TimeToFirstTokenMs,
            Status = status,
            HttpStatus = httpStatus,
            ErrorCode = outcome.Error?.Code,
            Error = outcome.Error?.Message,
            Stream = request.Stream,
            Fallbacks = Math.Max(0, outcome.Attempts.Count - 1),
            Attempts = outcome.Attempts,
            PromptHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt))),
            Prompt = caller.StorePrompt ? prompt : null,
            RoutingInput = caller.StorePrompt ? RoutingInput.From(request).ToJson() : null,
        };
    }
}
