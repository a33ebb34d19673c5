using System.Diagnostics;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Escalation;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Telemetry;
using CostConsole.Routing.Tokens;
using Polly.CircuitBreaker;

namespace CostConsole.Routing.Pipeline;

/// <summary>
/// The one path every request takes — the public endpoint, the playground and experiments alike:
/// decide, call the chosen model with fallback, price the tokens, write the ledger, then answer.
/// </summary>
public sealed partial class ChatPipeline(
    RoutingState state,
    IModelInvoker invoker,
    ILedger ledger,
    ITokenCounter tokens,
    IAdmissionControl? admission = null,
    DeploymentResilience? resilience = null,
    PipelineTelemetry? telemetry = null,
    ResponseCache? cache = null,
    Affinity.ConversationAffinity? affinity = null)
{
    private const string SkippedOutcome = "skipped: circuit open";

    private readonly IAdmissionControl _admission = admission ?? AdmitAll.Instance;
    private readonly DeploymentResilience _resilience = resilience ?? new DeploymentResilience();

    public RoutingSnapshot Snapshot => state.Current;

    public Task<ChatOutcome> CompleteAsync(ChatRequest request, CallerContext caller, CancellationToken cancellationToken) =>
        PipelineTelemetry.TraceAsync(telemetry, request, caller, () => RunAsync(request, caller, null, (snapshot, decision, admitted, cached) => CompleteCoreAsync(snapshot, decision, admitted, cached, request, caller, cancellationToken), cancellationToken));

    public Task<ChatOutcome> StreamAsync(ChatRequest request, CallerContext caller, IChatStreamSink sink, CancellationToken cancellationToken) =>
        PipelineTelemetry.TraceAsync(telemetry, request, caller, () => RunAsync(request, caller, sink, (snapshot, decision, admitted, cached) => StreamCoreAsync(snapshot, decision, admitted, cached, request, caller, sink, cancellationToken), cancellationToken));

    /// <summary>Decides, asks admission control, runs the calls, and settles what admission reserved whatever happens.</summary>
    private async Task<ChatOutcome> RunAsync(
        ChatRequest request, CallerContext caller, IChatStreamSink? sink, Func<RoutingSnapshot, RoutingDecision, Admission, CacheLookup?, Task<ChatOutcome>> calls, CancellationToken cancellationToken)
    {
        try
        {
            // Counted once here, with the client's token: rules, budgets and the ledger share this count.
            request.CountPromptTokens(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await RejectAsync(caller, ChatError.ClientClosed, request.Model, request.Stream).ConfigureAwait(false);
        }

        var snapshot = state.Current;
        var (decision, rejection) = await DecideAsync(snapshot, request, caller, cancellationToken).ConfigureAwait(false);
        if (decision is null)
        {
            return rejection!;
        }

        var admission = await _admission.AdmitAsync(decision, request, caller, cancellationToken).ConfigureAwait(false);
        if (admission.Refusal is not null && decision.Unexplored is { } chosen)
        {
            // Exploration never goes past a budget or a key's tiers: serve the classifier's own choice instead.
            (decision, admission) = (chosen, await _admission.AdmitAsync(chosen, request, caller, cancellationToken).ConfigureAwait(false));
        }

        if (admission.Refusal is { } refusal)
        {
            return await RefuseAsync(decision, refusal, request, caller).ConfigureAwait(false);
        }

        ChatOutcome? settled = null;
        try
        {
            var (lookup, served) = cache is null ? default : await LookUpAsync(cache, snapshot, decision, request, caller, sink, cancellationToken).ConfigureAwait(false);
            settled = served ?? await calls(snapshot, decision, admission, lookup).ConfigureAwait(false);
            affinity?.Remember(caller.ConversationId, caller.ReceivedAt, settled);
            return settled;
        }
        finally
        {
            await admission.SettleAsync(settled ?? Failed(decision, null, [], caller, ChatError.Interrupted)).ConfigureAwait(false);
        }
    }

    private async Task<ChatOutcome> CompleteCoreAsync(RoutingSnapshot snapshot, RoutingDecision decision, Admission admission, CacheLookup? cached, ChatRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        var run = new Run(snapshot, decision, request, caller) { Admission = admission, Cache = cached };
        var candidates = decision.Candidates;
        var kind = AttemptKind.First;
        try
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                var candidate = candidates[i];
                if (kind == AttemptKind.Fallback && !run.Cover(kind, candidate))
                {
                    break;
                }

                var gates = snapshot.Escalation.For(candidate.TierIndex);
                var options = Options(gates, candidate);
                UpstreamReply reply;
                try
                {
                    reply = await CallAsync(
                        candidate,
                        kind,
                        async (attemptKind, token) =>
                        {
                            var started = Stopwatch.GetTimestamp();
                            var answer = await invoker.CompleteAsync(candidate, request, options, token).ConfigureAwait(false);
                            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            var cost = answer.IsSuccess ? CostCalculator.Cost(snapshot.Prices, candidate.Key, caller.ReceivedAt, answer.Usage, caller.BatchId is not null) : null;
                            run.Attempts.Add(Attempt(attemptKind, candidate, answer.Status, answer.IsSuccess ? "answered" : Describe(answer), answer.Usage, cost ?? 0m, latency) with { PassedThrough = answer.PassedThrough });
                            return answer;
                        },
                        cancellationToken).ConfigureAwait(false);
                }
                catch (BrokenCircuitException)
                {
                    run.Skipped(kind, candidate);
                    kind = AttemptKind.Fallback;
                    continue;
                }

                if (!reply.IsSuccess)
                {
                    run.Failure = reply;
                    run.FailedModel = candidate;
                    if (reply.Failure == UpstreamFailure.Rejected)
                    {
                        break;
                    }

                    kind = AttemptKind.Fallback;
                    continue;
                }

                var attemptIndex = run.Attempts.Count - 1;
                var priced = CostCalculator.Cost(snapshot.Prices, candidate.Key, caller.ReceivedAt, reply.Usage, caller.BatchId is not null);
                var body = options.Logprobs && !request.WantsLogprobs ? new BinaryData(LogprobsFilter.Strip(reply.Body.ToMemory())) : reply.Body;
                var kept = new KeptAnswer(candidate, reply.Usage, priced, null, body, null);
                if (gates is null)
                {
                    return await AnsweredAsync(run, kept, ReviewState.None).ConfigureAwait(false);
                }

                var logprobs = gates.NeedsLogprobs ? new List<double>() : null;
                var facts = ResponseInspector.Inspect(reply.Body.ToMemory().Span, logprobs);
                kept = kept with { Content = facts.Content };
                var passed = await CheckGatesAsync(run, gates, candidate, attemptIndex, new AnswerFacts(facts.Content, facts.FinishReason ?? reply.FinishReason, logprobs, facts.HasToolCalls), cancellationToken).ConfigureAwait(false);
                if (passed)
                {
                    return await AnsweredAsync(run, kept, ReviewState.None).ConfigureAwait(false);
                }

                var next = NextTier(candidates, i);
                if (next < 0 || run.Escalations >= snapshot.Escalation.MaxEscalations || !run.Cover(AttemptKind.Escalation, candidates[next]))
                {
                    // Nowhere left to go, or the budget cannot cover the step up: the answer is returned, flagged for a person.
                    return await AnsweredAsync(run, kept, ReviewState.Open).ConfigureAwait(false);
                }

                run.Escalations++;
                run.EscalationCost += run.Attempts[attemptIndex].Cost;
                run.Held = kept;
                i = next - 1;
                kind = AttemptKind.Escalation;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await ClientGoneAsync(decision, run.Attempts, request, caller).ConfigureAwait(false);
        }

        if (run.Held is { } held)
        {
            // The tiers above could not answer at all: the answer that failed its gates is better than none, and is not wasted.
            run.EscalationCost -= held.Cost ?? 0m;
            return await AnsweredAsync(run, held, ReviewState.Open).ConfigureAwait(false);
        }

        return await NoModelAnsweredAsync(decision, run.Failure, run.FailedModel, run.Attempts, request, caller).ConfigureAwait(false);
    }

    private async Task<ChatOutcome> StreamCoreAsync(
        RoutingSnapshot snapshot, RoutingDecision decision, Admission admission, CacheLookup? cached, ChatRequest request, CallerContext caller, IChatStreamSink sink, CancellationToken cancellationToken)
    {
        var run = new Run(snapshot, decision, request, caller) { Admission = admission, Cache = cached };
        var candidates = decision.Candidates;
        var kind = AttemptKind.First;
        try
        {
            for (var i = 0; i < candidates.Count; i++)
            {
                var candidate = candidates[i];
                if (kind == AttemptKind.Fallback && !run.Cover(kind, candidate))
                {
                    break;
                }

                var gates = snapshot.Escalation.For(candidate.TierIndex);
                var next = NextTier(candidates, i);

                // Only an attempt that may still be escalated is held back; the last possible one streams as it comes.
                var buffer = gates is not null && next >= 0 && run.Escalations < snapshot.Escalation.MaxEscalations;
                var options = Options(gates, candidate);
                StreamTry outcome;
                try
                {
                    outcome = await CallAsync(
                        candidate,
                        kind,
                        async (attemptKind, token) =>
                        {
                            var started = Stopwatch.GetTimestamp();
                            await using var upstream = await invoker.OpenStreamAsync(candidate, request, options, token).ConfigureAwait(false);
                            if (!upstream.IsOpen)
                            {
                                var failure = upstream.Failure!;
                                run.Attempts.Add(Attempt(attemptKind, candidate, failure.Status, Describe(failure), default, 0m, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                                return StreamTry.Failed(failure);
                            }

                            var relay = new StreamRelay(request, sink, caller.StartTimestamp, buffer, options.Logprobs || request.WantsLogprobs, options.Logprobs && !request.WantsLogprobs);
                            var result = await relay.RunAsync(upstream, decision, candidate, token).ConfigureAwait(false);
                            var usage = relay.Usage(tokens);
                            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                            var cost = CostCalculator.Cost(snapshot.Prices, candidate.Key, caller.ReceivedAt, usage, caller.BatchId is not null);
                            switch (result)
                            {
                                case StreamResult.BrokeBeforeFirstEvent:
                                    // Nothing reached the client yet, so this model or another can still answer in full.
                                    run.Attempts.Add(Attempt(attemptKind, candidate, 502, "stream broke before the first event: " + relay.Error, default, 0m, latency));
                                    return StreamTry.Failed(new UpstreamReply { Status = 502, Body = BinaryData.Empty, Failure = UpstreamFailure.Connection, Error = relay.Error });
                                case StreamResult.BrokeMidway:
                                    run.Attempts.Add(Attempt(attemptKind, candidate, 502, "stream broke mid-way: " + relay.Error, usage, cost ?? 0m, latency));
                                    return StreamTry.Broken(relay, usage, cost);
                                default:
                                    run.Attempts.Add(Attempt(attemptKind, candidate, 200, "answered", usage, cost ?? 0m, latency) with { PassedThrough = upstream.PassedThrough });
                                    return StreamTry.Completed(relay, usage, cost);
                            }
                        },
                        cancellationToken).ConfigureAwait(false);
                }
                catch (BrokenCircuitException)
                {
                    run.Skipped(kind, candidate);
                    kind = AttemptKind.Fallback;
                    continue;
                }

                if (outcome.Failure is { } failed)
                {
                    run.Failure = failed;
                    run.FailedModel = candidate;
                    if (failed.Failure == UpstreamFailure.Rejected)
                    {
                        break;
                    }

                    kind = AttemptKind.Fallback;
                    continue;
                }

                var relayed = outcome.Relay!;
                if (outcome.BrokeMidway)
                {
                    var broken = new ChatError(502, "server_error", "upstream_stream_broken", $"The answer from {candidate.Model.Id} broke off mid-way: {relayed.Error}");
                    var partial = Success(run, new KeptAnswer(candidate, outcome.Usage, outcome.Cost, relayed.TimeToFirstTokenMs, null, relayed), ReviewState.None, broken);
                    await RecordRowAsync(Entry(partial, request, caller, LedgerStatus.Failed, 502)).ConfigureAwait(false);
                    run.Recorded = partial;
                    await sink.FailAsync(broken, cancellationToken).ConfigureAwait(false);
                    return partial;
                }

                var attemptIndex = run.Attempts.Count - 1;
                var kept = new KeptAnswer(candidate, outcome.Usage, outcome.Cost, relayed.TimeToFirstTokenMs, null, relayed);
                var passed = gates is null || await CheckGatesAsync(run, gates, candidate, attemptIndex, relayed.Facts, cancellationToken).ConfigureAwait(false);
                if (passed || !buffer || !run.Cover(AttemptKind.Escalation, candidates[next]))
                {
                    return await StreamedAsync(run, kept, buffer, passed ? ReviewState.None : ReviewState.Open, sink, cancellationToken).ConfigureAwait(false);
                }

                run.Escalations++;
                run.EscalationCost += run.Attempts[attemptIndex].Cost;
                run.Held = kept;
                i = next - 1;
                kind = AttemptKind.Escalation;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // A client that leaves after its row was written (while the stream's end goes out) keeps that row: one per request.
            return run.Recorded ?? await ClientGoneAsync(decision, run.Attempts, request, caller).ConfigureAwait(false);
        }

        if (run.Held is { } held)
        {
            run.EscalationCost -= held.Cost ?? 0m;
            return await StreamedAsync(run, held, buffered: true, ReviewState.Open, sink, cancellationToken).ConfigureAwait(false);
        }

        return await NoModelAnsweredAsync(decision, run.Failure, run.FailedModel, run.Attempts, request, caller).ConfigureAwait(false);
    }

    /// <summary>Records a non-streamed answer and returns it.</summary>
    private async Task<ChatOutcome> AnsweredAsync(Run run, KeptAnswer answer, ReviewState review)
    {
        // One read of the answer serves both the stored answer and the response cache; neither wanting it, none.
        var caching = review == ReviewState.None && run.Cache is not null && cache is not null;
        var facts = caching || (answer.Content is null && StoresAnswer(run.Caller)) ? ResponseInspector.Inspect(answer.Body!.ToMemory().Span) : default;
        var outcome = Success(run, answer with { Content = answer.Content ?? facts.Content }, review);
        await RecordRowAsync(Entry(outcome, run.Request, run.Caller, LedgerStatus.Answered, 200)).ConfigureAwait(false);
        if (caching)
        {
            cache!.Store(run.Cache!, facts.Content, facts.FinishReason, facts.HasToolCalls, answer.Model, run.Decision.Rule, answer.Usage, outcome.Cost);
        }

        return outcome;
    }

    /// <summary>Sends a held answer (when it was buffered), records the request, and ends the stream.</summary>
    private async Task<ChatOutcome> StreamedAsync(Run run, KeptAnswer answer, bool buffered, ReviewState review, IChatStreamSink sink, CancellationToken cancellationToken)
    {
        if (buffered)
        {
            await answer.Relay!.ReplayAsync(run.Decision, answer.Model, cancellationToken).ConfigureAwait(false);
        }

        var outcome = Success(run, answer with { TimeToFirstTokenMs = answer.Relay!.TimeToFirstTokenMs }, review);
        await RecordRowAsync(Entry(outcome, run.Request, run.Caller, LedgerStatus.Answered, 200)).ConfigureAwait(false);
        run.Recorded = outcome;
        if (review == ReviewState.None && run.Cache is { } lookup)
        {
            var facts = answer.Relay.Facts;
            cache?.Store(lookup, facts.Content, facts.FinishReason, facts.ToolCalls, answer.Model, run.Decision.Rule, answer.Usage, outcome.Cost);
        }

        await sink.EndAsync(cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Runs one deployment's call through its retries and circuit breaker; each try records its own attempt.</summary>
    private async Task<T> CallAsync<T>(RoutedModel candidate, AttemptKind kind, Func<AttemptKind, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
        where T : IUpstreamOutcome
    {
        var tries = 0;
        return await _resilience.For(candidate).ExecuteAsync(
            async token =>
            {
                var attempt = tries++ == 0 ? kind : AttemptKind.Retry;
                using var span = PipelineTelemetry.StartAttempt(candidate, attempt);
                return await call(attempt, token).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Checks an answer against its tier's gates (the judge last, only if the rest passed) and records the verdict on its attempt.</summary>
    private async Task<bool> CheckGatesAsync(Run run, CompiledGates gates, RoutedModel candidate, int attemptIndex, AnswerFacts answer, CancellationToken cancellationToken)
    {
        var results = gates.Check(answer, run.Request.LastUserText, run.Request.WantsJson, run.Request.WantsJson ? run.Request.ResponseSchema : null, out var confidence).ToList();
        // A function call has no final answer to sample again or grade.
        if (gates.NeedsSamples && !answer.ToolCalls && results.TrueForAll(r => r.Passed))
        {
            results.Add(await SelfConsistencyAsync(run, gates, candidate, answer.Content ?? "", cancellationToken).ConfigureAwait(false));
        }

        if (gates.Judge is { } judge && !answer.ToolCalls && results.TrueForAll(r => r.Passed))
        {
            results.Add(await JudgeAsync(run, gates, judge, answer.Content ?? "", cancellationToken).ConfigureAwait(false));
        }

        run.Attempts[attemptIndex] = run.Attempts[attemptIndex] with { Gates = results, Confidence = confidence };
        return results.TrueForAll(r => r.Passed);
    }

    private async Task<GateResult> JudgeAsync(Run run, CompiledGates gates, RoutedModel judge, string answer, CancellationToken cancellationToken)
    {
        var definition = gates.Definition.Judge!;
        using var grading = JudgeRequest.Create(definition, judge, run.Request.LastUserText, answer, tokens);
        var started = Stopwatch.GetTimestamp();
        using var span = PipelineTelemetry.StartAttempt(judge, AttemptKind.Judge);
        var reply = await invoker.CompleteAsync(judge, grading, cancellationToken).ConfigureAwait(false);
        var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var cost = reply.IsSuccess ? CostCalculator.Cost(run.Snapshot.Prices, judge.Key, run.Caller.ReceivedAt, reply.Usage, run.Caller.BatchId is not null) ?? 0m : 0m;
        run.Attempts.Add(Attempt(AttemptKind.Judge, judge, reply.Status, reply.IsSuccess ? "graded" : Describe(reply), reply.Usage, cost, latency));
        run.EscalationCost += cost;
        if (!reply.IsSuccess)
        {
            return new GateResult("judge", true, $"the judge {judge.Model.Id} could not answer ({Describe(reply)}); not counted");
        }

        var text = ResponseInspector.Inspect(reply.Body.ToMemory().Span).Content ?? "";
        if (JudgeRequest.Score(text) is not { } score)
        {
            return new GateResult("judge", true, $"the judge answered \"{Truncate(text, 40)}\", not a score from 1 to 5; not counted");
        }

        return new GateResult("judge", score >= definition.MinScore, $"{judge.Model.Id} scored {score}/5 (minimum {definition.MinScore})");
    }

    /// <summary>
    /// Asks the same model again at the policy's temperature and compares the final answers; only when the request asks
    /// for one answer and the first answer states exactly one, so nothing is spent where nothing can be compared.
    /// </summary>
    private async Task<GateResult> SelfConsistencyAsync(Run run, CompiledGates gates, RoutedModel candidate, string answer, CancellationToken cancellationToken)
    {
        const string Gate = "self-consistency";
        var definition = gates.Definition.SelfConsistency!;
        var asked = gates.Asked(run.Request.LastUserText);
        if (asked.Form == AnswerForm.None)
        {
            return new GateResult(Gate, true, "the request does not ask for a single answer; not sampled");
        }

        var first = gates.FinalAnswers(answer, asked);
        if (first.Count != 1)
        {
            return new GateResult(Gate, true, "the answer states no single final answer to compare; not sampled");
        }

        var answers = new List<string>(definition.Samples) { first[0] };
        using var sample = RouterRequest.Resample(run.Request, definition.Temperature, tokens);
        var extra = 0m;
        for (var k = 0; k < definition.Samples; k++)
        {
            var started = Stopwatch.GetTimestamp();
            using var span = PipelineTelemetry.StartAttempt(candidate, AttemptKind.Sample);
            var reply = await invoker.CompleteAsync(candidate, sample, cancellationToken).ConfigureAwait(false);
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var cost = reply.IsSuccess ? CostCalculator.Cost(run.Snapshot.Prices, candidate.Key, run.Caller.ReceivedAt, reply.Usage, run.Caller.BatchId is not null) ?? 0m : 0m;
            run.Attempts.Add(Attempt(AttemptKind.Sample, candidate, reply.Status, reply.IsSuccess ? "sampled" : Describe(reply), reply.Usage, cost, latency));
            run.EscalationCost += cost;
            extra += cost;
            if (!reply.IsSuccess)
            {
                continue;
            }

            var text = ResponseInspector.Inspect(reply.Body.ToMemory().Span).Content ?? "";
            var found = gates.FinalAnswers(text, asked);
            answers.Add(found.Count == 1 ? found[0] : "none");
        }

        if (answers.Count == 1)
        {
            return new GateResult(Gate, true, $"no second sample could be had from {candidate.Model.Id}; not counted");
        }

        var agree = answers.TrueForAll(a => a == answers[0]);
        var cents = extra.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);
        return new GateResult(
            Gate,
            agree,
            agree
                ? $"{answers.Count} answers agree on {answers[0]} (extra calls ${cents})"
                : $"{answers.Count} answers disagree: {string.Join(" vs ", answers)} (extra calls ${cents})");
    }

    private static string Truncate(string text, int length) => text.Length <= length ? text.Trim() : text[..length].Trim() + "…";

    /// <summary>
    /// Logprobs are asked for when a confidence gate reads them and the catalogue says the model can return them:
    /// some providers refuse the field outright, which must not turn a gate into a failed request.
    /// </summary>
    private static UpstreamOptions Options(CompiledGates? gates, RoutedModel candidate) =>
        new(gates?.NeedsLogprobs == true && candidate.Model.Capabilities.HasFlag(Catalogue.ModelCapabilities.Logprobs));

    /// <summary>The index of the first candidate in a tier above the one at <paramref name="index"/>, or -1.</summary>
    private static int NextTier(IReadOnlyList<RoutedModel> candidates, int index)
    {
        for (var j = index + 1; j < candidates.Count; j++)
        {
            if (candidates[j].TierIndex > candidates[index].TierIndex)
            {
                return j;
            }
        }

        return -1;
    }

    /// <summary>Records a request refused before routing (bad key, bad body) and returns its outcome.</summary>
    public async Task<ChatOutcome> RejectAsync(CallerContext caller, ChatError error, string? requestedModel, bool stream)
    {
        using var span = PipelineTelemetry.StartRejected(requestedModel, caller, error);
        var outcome = new ChatOutcome
        {
            RequestId = caller.RequestId,
            LatencyMs = Stopwatch.GetElapsedTime(caller.StartTimestamp).TotalMilliseconds,
            Status = error.Status,
            Error = error,
        };
        await RecordRowAsync(
            new LedgerEntry
            {
                RequestId = caller.RequestId,
                Timestamp = caller.ReceivedAt,
                ApiKeyId = caller.ApiKeyId,
                Protocol = caller.Protocol,
                BatchId = caller.BatchId,
                RequestedModel = requestedModel,
                Status = LedgerStatus.Rejected,
                HttpStatus = error.Status,
                ErrorCode = error.Code,
                Error = error.Message,
                LatencyMs = outcome.LatencyMs,
                Stream = stream,
            }).ConfigureAwait(false);
        return outcome;
    }

    /// <summary>Records a routed request that admission control refused (budget, allowed tiers) before any model was called.</summary>
    private async Task<ChatOutcome> RefuseAsync(RoutingDecision decision, ChatError error, ChatRequest request, CallerContext caller)
    {
        var refused = Failed(decision, decision.Model, [], caller, error);
        await RecordRowAsync(Entry(refused, request, caller, LedgerStatus.Rejected, error.Status)).ConfigureAwait(false);
        return refused;
    }

    private async Task<(RoutingDecision? Decision, ChatOutcome? Rejection)> DecideAsync(RoutingSnapshot snapshot, ChatRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        try
        {
            var decided = await snapshot.DecideAsync(request, new AssignmentUnit(caller.ApiKeyId, null, request.User, caller.ConversationId), cancellationToken).ConfigureAwait(false);
            return (affinity?.Apply(snapshot, decided, request, caller.ConversationId, caller.ReceivedAt) ?? decided, null);
        }
        catch (ChatRequestException ex)
        {
            var error = ex.Code == "model_not_found" ? ChatError.ModelNotFound(ex.Message) : ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param);
            return (null, await RejectAsync(caller, error, request.Model, request.Stream).ConfigureAwait(false));
        }
    }

    /// <summary>Every candidate failed (or one refused the request): record the failure and say why.</summary>
    private async Task<ChatOutcome> NoModelAnsweredAsync(
        RoutingDecision decision,
        UpstreamReply? failure,
        RoutedModel? failedModel,
        List<AttemptRecord> attempts,
        ChatRequest request,
        CallerContext caller)
    {
        var error = FailureError(failure, failedModel, attempts);
        var failed = Failed(decision, failedModel, attempts, caller, error);
        await RecordRowAsync(Entry(failed, request, caller, LedgerStatus.Failed, error.Status)).ConfigureAwait(false);
        return failed;
    }

    /// <summary>
    /// Writes a request's row. The caller's cancellation does not reach the ledger: a request that got this far has its row
    /// whether or not its client is still there to read the answer — above all an answer the provider has already charged
    /// for. The only wait is for room in the ledger's queue.
    /// </summary>
    private ValueTask RecordRowAsync(LedgerEntry entry) => ledger.RecordAsync(entry, CancellationToken.None);

    private async Task<ChatOutcome> ClientGoneAsync(RoutingDecision decision, List<AttemptRecord> attempts, ChatRequest request, CallerContext caller)
    {
        var outcome = Failed(decision, null, attempts, caller, ChatError.ClientClosed);
        await RecordRowAsync(Entry(outcome, request, caller, LedgerStatus.Failed, 499)).ConfigureAwait(false);
        return outcome;
    }

    private ChatOutcome Success(Run run, KeptAnswer answer, ReviewState review, ChatError? error = null)
    {
        var total = 0m;
        foreach (var attempt in run.Attempts)
        {
            total += attempt.Cost;
        }

        // The baseline prices the kept answer's tokens at the always-largest model; unpriced, it equals the actual cost.
        var snapshot = run.Snapshot;
        var baseline = snapshot.Baseline is { } b ? CostCalculator.Cost(snapshot.Prices, b.Key, run.Caller.ReceivedAt, answer.Usage, run.Caller.BatchId is not null) ?? total : total;
        return new ChatOutcome
        {
            RequestId = run.Caller.RequestId,
            Decision = run.Decision,
            Model = answer.Model,
            Usage = answer.Usage,
            Cost = total,
            BaselineCost = baseline,
            LatencyMs = Stopwatch.GetElapsedTime(run.Caller.StartTimestamp).TotalMilliseconds,
            TimeToFirstTokenMs = answer.TimeToFirstTokenMs,
            Attempts = run.Attempts,
            Escalations = run.Escalations,
            EscalationCost = run.EscalationCost,
            Review = review,
            Body = answer.Body,
            AnswerText = StoresAnswer(run.Caller) ? answer.Content ?? answer.Relay?.Facts.Content : null,
            Priced = answer.Cost is not null,
            Status = error?.Status ?? 200,
            Error = error,
            Cache = run.Cache,
            ColdCacheCost = affinity?.ColdCacheCost(run.Decision.Warm, answer.Model, answer.Usage, snapshot.Prices, run.Caller.ReceivedAt, run.Caller.BatchId is not null) ?? 0m,
        };
    }

    /// <summary>A request that ended in <paramref name="error"/>: what its attempts cost, with no answer (the embeddings pipeline's too).</summary>
    internal static ChatOutcome Failed(RoutingDecision? decision, RoutedModel? model, List<AttemptRecord> attempts, CallerContext caller, ChatError error)
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

        // Deployments skipped while their circuit is open say nothing about why the rest failed.
        var called = attempts.Where(a => !a.Outcome.StartsWith(SkippedOutcome, StringComparison.Ordinal)).ToList();
        if (attempts.Count > 0 && called.Count == 0)
        {
            return new ChatError(503, "server_error", "circuit_open", $"Every model for this request failed repeatedly and is cooling down; try again shortly. Skipped {tried}.");
        }

        if (called.Count > 0 && called.All(a => a.Status is 504 or 408))
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

    private static AttemptRecord Attempt(AttemptKind kind, RoutedModel model, int status, string outcome, TokenUsage usage, decimal cost, double latency)
    {
        var attempt = new AttemptRecord(model.Key, model.Provider.Name, model.Tier, status, outcome, usage.PromptTokens, usage.CompletionTokens, cost, Math.Round(latency, 3))
        {
            Kind = kind,
            CachedTokens = usage.CachedPromptTokens,
            CacheWriteTokens = usage.CacheWriteTokens,
        };
        PipelineTelemetry.Attempted(model, attempt);
        return attempt;
    }

    private static LedgerEntry Entry(ChatOutcome outcome, ChatRequest request, CallerContext caller, LedgerStatus status, int httpStatus)
    {
        var stored = Privacy.StoredPrompt.Of(request, caller.EffectivePromptStorage);
        return new LedgerEntry
        {
            RequestId = caller.RequestId,
            Timestamp = caller.ReceivedAt,
            ApiKeyId = caller.ApiKeyId,
            ConversationId = caller.ConversationId,
            EndUser = EndUsers.Of(request, caller),
            Protocol = caller.Protocol,
            BatchId = caller.BatchId,
            ExperimentId = outcome.Decision?.ExperimentId,
            Arm = outcome.Decision?.Arm,
            RequestedModel = request.Model,
            Tier = outcome.Cache?.Entry?.Tier ?? outcome.Decision?.Tier,
            Model = outcome.Model?.Key,
            Provider = outcome.Model?.Provider.Name,
            Rule = outcome.Decision?.Rule,
            Decision = outcome.Cache is { } cached ? $"{outcome.Decision?.Summary}; {cached.Describe()}" : outcome.Decision?.Summary,
            Mapping = outcome.Decision?.Mapping,
            RuleSetVersion = outcome.Decision?.RuleSetVersion,
            PromptTokens = outcome.Usage.PromptTokens,
            CachedTokens = outcome.Usage.CachedPromptTokens,
            CacheWriteTokens = outcome.Usage.CacheWriteTokens,
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
            Fallbacks = outcome.Attempts.Count(a => a.Kind == AttemptKind.Fallback),
            Escalations = outcome.Escalations,
            EscalationCost = outcome.EscalationCost,
            Review = outcome.Review,
            Attempts = outcome.Attempts,
            PromptHash = request.PromptHash(),
            Prompt = stored.Prompt,
            Answer = Privacy.StoredAnswer.Of(outcome.AnswerText, request, caller.EffectivePromptStorage),
            RoutingInput = stored.RoutingInput,
            PromptRedacted = stored.Redacted,
            PersonalData = request.PersonalData is { Any: true } personal ? personal.Summary : null,
            CacheLevel = outcome.Cache?.LedgerName,
            CacheEntryId = outcome.Cache?.Entry?.Id,
            CacheSimilarity = outcome.Cache?.Entry is null ? null : outcome.Cache.Similarity,
            CacheAvoidedCost = outcome.CacheAvoidedCost,
            ColdCacheCost = outcome.ColdCacheCost,
            ShadowModel = outcome.Decision?.Shadow?.Model,
            ShadowTier = outcome.Decision?.Shadow?.Tier,
            ShadowDecision = outcome.Decision?.Shadow?.Reason,
            Explored = outcome.Cache?.Entry is null && outcome.Decision?.Explored == true,
            Propensity = outcome.Cache?.Entry is null ? outcome.Decision?.Propensity : null,
        };
    }

    /// <summary>One request's way through the candidates: every attempt, escalations so far, and the answer held back.</summary>
    private sealed class Run(RoutingSnapshot snapshot, RoutingDecision decision, ChatRequest request, CallerContext caller)
    {
        public RoutingSnapshot Snapshot { get; } = snapshot;

        public RoutingDecision Decision { get; } = decision;

        public ChatRequest Request { get; } = request;

        public CallerContext Caller { get; } = caller;

        public List<AttemptRecord> Attempts { get; } = new(1);

        public int Escalations { get; set; }

        /// <summary>Answers thrown away by escalation, and judge calls.</summary>
        public decimal EscalationCost { get; set; }

        /// <summary>The last answer that failed its gates and was escalated: returned, flagged, if no tier above answers.</summary>
        public KeptAnswer? Held { get; set; }

        /// <summary>The outcome whose ledger row is written: nothing else is recorded for this request.</summary>
        public ChatOutcome? Recorded { get; set; }

        public UpstreamReply? Failure { get; set; }

        public RoutedModel? FailedModel { get; set; }

        public Admission Admission { get; init; } = Admission.Granted;

        /// <summary>The cache's miss, when it was looked up: a complete answer that passes its gates is stored with it.</summary>
        public CacheLookup? Cache { get; init; }

        /// <summary>The highest tier admission control has covered for this request.</summary>
        private int CoveredTier { get; set; } = decision.Model.TierIndex;

        /// <summary>
        /// Asks admission to cover a step to a tier above the ones covered so far. A step it refuses is recorded in the
        /// trace as not attempted, with the reason, and not taken.
        /// </summary>
        public bool Cover(AttemptKind kind, RoutedModel model)
        {
            if (model.TierIndex <= CoveredTier)
            {
                return true;
            }

            var spent = 0m;
            foreach (var attempt in Attempts)
            {
                spent += attempt.Cost;
            }

            if (Admission.CoverStep(new AdmissionStep(model, spent)) is { } refusal)
            {
                Attempts.Add(Attempt(kind, model, 429, "not attempted: " + refusal, default, 0m, 0));
                return false;
            }

            CoveredTier = model.TierIndex;
            return true;
        }

        /// <summary>A deployment whose circuit is open: skipped without a call.</summary>
        public void Skipped(AttemptKind kind, RoutedModel model) =>
            Attempts.Add(Attempt(kind, model, 503, SkippedOutcome + " after repeated failures", default, 0m, 0));
    }

    /// <summary>An answer that may be returned: from a non-streamed body, or a relay (streamed or buffered).</summary>
    /// <summary>Whether the ledger keeps this caller's answers: under the same policy as its prompts.</summary>
    private static bool StoresAnswer(CallerContext caller) => caller.EffectivePromptStorage != Privacy.PromptStorage.None;

    /// <param name="Content">The answer's text where the pipeline has already read it from <paramref name="Body"/>.</param>
    private sealed record KeptAnswer(RoutedModel Model, TokenUsage Usage, decimal? Cost, double? TimeToFirstTokenMs, BinaryData? Body, StreamRelay? Relay, string? Content = null);

    /// <summary>One streamed try at a deployment, as retries see it: failed before the client had a byte (retryable), broken after, or complete.</summary>
    private sealed class StreamTry : IUpstreamOutcome
    {
        public UpstreamReply? Failure { get; private init; }

        public bool Retryable => Failure is not null;

        public bool BrokeMidway { get; private init; }

        public StreamRelay? Relay { get; private init; }

        public TokenUsage Usage { get; private init; }

        public decimal? Cost { get; private init; }

        public static StreamTry Failed(UpstreamReply failure) => new() { Failure = failure };

        public static StreamTry Broken(StreamRelay relay, TokenUsage usage, decimal? cost) => new() { BrokeMidway = true, Relay = relay, Usage = usage, Cost = cost };

        public static StreamTry Completed(StreamRelay relay, TokenUsage usage, decimal? cost) => new() { Relay = relay, Usage = usage, Cost = cost };
    }
}
