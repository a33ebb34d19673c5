using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Protocols.Embeddings;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Telemetry;
using Polly.CircuitBreaker;

namespace CostConsole.Routing.Pipeline;

/// <summary>
/// <c>POST /v1/embeddings</c> through the router: decide the embeddings model, admit (allowed tiers and models,
/// budgets, token rate), call it with retries and its circuit breaker, price the input tokens, write one ledger row.
/// There is no fallback to another model (their vectors are not comparable), no escalation and no cache; the baseline
/// cost is the cost itself, since no larger tier answers an embeddings request.
/// </summary>
public sealed class EmbeddingsPipeline(
    RoutingState state,
    IModelInvoker invoker,
    ILedger ledger,
    IAdmissionControl? admission = null,
    DeploymentResilience? resilience = null,
    PipelineTelemetry? telemetry = null)
{
    private readonly IAdmissionControl _admission = admission ?? AdmitAll.Instance;
    private readonly DeploymentResilience _resilience = resilience ?? new DeploymentResilience();

    /// <summary>Embeds the request's inputs; the outcome's body is the OpenAI embeddings list, or its error says why not.</summary>
    public Task<ChatOutcome> EmbedAsync(EmbeddingsRequest request, CallerContext caller, CancellationToken cancellationToken) =>
        PipelineTelemetry.TraceAsync(telemetry, request.Chat, caller, () => RunAsync(request, caller, cancellationToken));

    private async Task<ChatOutcome> RunAsync(EmbeddingsRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        var chat = request.Chat;
        try
        {
            chat.CountPromptTokens(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await RecordAsync(Outcome(caller, null, null, [], ChatError.ClientClosed), request, caller, LedgerStatus.Rejected).ConfigureAwait(false);
        }

        var snapshot = state.Current;
        RoutingDecision decision;
        try
        {
            decision = snapshot.DecideEmbeddings(chat);
        }
        catch (ChatRequestException ex)
        {
            var error = ex.Code == "model_not_found" ? ChatError.ModelNotFound(ex.Message) : ChatError.InvalidRequest(ex.Code, ex.Message, ex.Param);
            return await RecordAsync(Outcome(caller, null, null, [], error), request, caller, LedgerStatus.Rejected).ConfigureAwait(false);
        }

        var admitted = await _admission.AdmitAsync(decision, chat, caller, cancellationToken).ConfigureAwait(false);
        if (admitted.Refusal is { } refusal)
        {
            return await RecordAsync(Outcome(caller, decision, decision.Model, [], refusal), request, caller, LedgerStatus.Rejected).ConfigureAwait(false);
        }

        ChatOutcome? settled = null;
        try
        {
            settled = await CallAsync(snapshot, decision, request, caller, cancellationToken).ConfigureAwait(false);
            return settled;
        }
        finally
        {
            await admitted.SettleAsync(settled ?? Outcome(caller, decision, null, [], ChatError.Interrupted)).ConfigureAwait(false);
        }
    }

    private async Task<ChatOutcome> CallAsync(RoutingSnapshot snapshot, RoutingDecision decision, EmbeddingsRequest request, CallerContext caller, CancellationToken cancellationToken)
    {
        var model = decision.Model;
        var attempts = new List<AttemptRecord>(1);
        EmbedTry result;
        try
        {
            var tries = 0;
            result = await _resilience.For(model).ExecuteAsync(
                async token =>
                {
                    var kind = tries++ == 0 ? AttemptKind.First : AttemptKind.Retry;
                    using var span = PipelineTelemetry.StartAttempt(model, kind);
                    var started = Stopwatch.GetTimestamp();
                    var reply = await invoker.EmbedAsync(model, request.Inputs, request.Dimensions, token).ConfigureAwait(false);
                    var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    if (reply.IsSuccess && reply.Vectors.Count != request.Inputs.Count)
                    {
                        reply = EmbeddingReply.Failed(UpstreamFailure.ServerError, $"{reply.Vectors.Count} vectors came back for {request.Inputs.Count} inputs.");
                    }

                    if (!reply.IsSuccess)
                    {
                        var failure = EmbedTry.Failed(reply);
                        attempts.Add(Attempt(kind, model, failure.Failure!.Status, reply.Error ?? reply.Failure.ToString(), default, 0m, latency));
                        return failure;
                    }

                    // The provider's count when it gives one; else the inputs counted here, as the budget pre-check counted them.
                    var usage = new TokenUsage(reply.PromptTokens ?? request.Chat.PromptTokens, 0, 0);
                    var cost = CostCalculator.Cost(snapshot.Prices, model.Key, caller.ReceivedAt, usage, caller.BatchId is not null);
                    attempts.Add(Attempt(kind, model, 200, "embedded", usage, cost ?? 0m, latency));
                    return EmbedTry.Answered(reply, usage, cost);
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            attempts.Add(Attempt(AttemptKind.First, model, 503, "skipped: circuit open after repeated failures", default, 0m, 0));
            var open = new ChatError(503, "server_error", "circuit_open", $"The embeddings model {model.Model.Id} failed repeatedly and is cooling down; try again shortly.");
            return await RecordAsync(Outcome(caller, decision, model, attempts, open), request, caller, LedgerStatus.Failed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return await RecordAsync(Outcome(caller, decision, null, attempts, ChatError.ClientClosed), request, caller, LedgerStatus.Failed).ConfigureAwait(false);
        }

        if (result.Failure is { } failed)
        {
            var error = failed.Failure switch
            {
                UpstreamFailure.Rejected => new ChatError(failed.Status, "invalid_request_error", "upstream_rejected", $"{model.Model.Id} refused the request: {failed.Error}"),
                UpstreamFailure.Timeout => new ChatError(504, "server_error", "upstream_timeout", $"{model.Model.Id} did not answer in time."),
                _ => new ChatError(502, "server_error", "upstream_error", $"{model.Model.Id} could not embed the input after {attempts.Count} attempt(s): {failed.Error}"),
            };
            return await RecordAsync(Outcome(caller, decision, model, attempts, error), request, caller, LedgerStatus.Failed).ConfigureAwait(false);
        }

        var body = EmbeddingsResponse.Write(result.Reply!.Vectors, request.Encoding, model.Model.Id, result.Usage.PromptTokens);
        var total = attempts.Sum(a => a.Cost);
        var outcome = new ChatOutcome
        {
            RequestId = caller.RequestId,
            Decision = decision,
            Model = model,
            Usage = result.Usage,
            Cost = total,
            BaselineCost = total,
            Priced = result.Cost is not null,
            LatencyMs = Stopwatch.GetElapsedTime(caller.StartTimestamp).TotalMilliseconds,
            Attempts = attempts,
            Body = new BinaryData(body),
        };
        return await RecordAsync(outcome, request, caller, LedgerStatus.Answered).ConfigureAwait(false);
    }

    private async Task<ChatOutcome> RecordAsync(ChatOutcome outcome, EmbeddingsRequest request, CallerContext caller, LedgerStatus status)
    {
        var chat = request.Chat;
        var stored = Privacy.StoredPrompt.Of(chat, caller.EffectivePromptStorage);
        var decision = outcome.Decision;
        await ledger.RecordAsync(
            new LedgerEntry
            {
                RequestId = caller.RequestId,
                Timestamp = caller.ReceivedAt,
                ApiKeyId = caller.ApiKeyId,
                ConversationId = caller.ConversationId,
                EndUser = EndUsers.Of(chat, caller),
                Protocol = caller.Protocol,
                BatchId = caller.BatchId,
                RequestedModel = chat.Model,
                Tier = decision?.Tier,
                Model = outcome.Model?.Key,
                Provider = outcome.Model?.Provider.Name,
                Decision = decision?.Summary,
                Mapping = decision?.Mapping,
                RuleSetVersion = decision?.RuleSetVersion,
                PromptTokens = outcome.Usage.PromptTokens,
                Cost = outcome.Cost,
                BaselineCost = outcome.BaselineCost,
                Priced = outcome.Priced,
                LatencyMs = outcome.LatencyMs,
                Status = status,
                HttpStatus = outcome.Status,
                ErrorCode = outcome.Error?.Code,
                Error = outcome.Error?.Message,
                Attempts = outcome.Attempts,
                PromptHash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(chat.PromptText()))),
                Prompt = stored.Prompt,
                RoutingInput = stored.RoutingInput,
                PromptRedacted = stored.Redacted,
                PersonalData = chat.PersonalData is { Any: true } personal ? personal.Summary : null,
            },
            CancellationToken.None).ConfigureAwait(false);
        return outcome;
    }

    private static ChatOutcome Outcome(CallerContext caller, RoutingDecision? decision, RoutedModel? model, List<AttemptRecord> attempts, ChatError error) =>
        ChatPipeline.Failed(decision, model, attempts, caller, error);

    private static AttemptRecord Attempt(AttemptKind kind, RoutedModel model, int status, string outcome, TokenUsage usage, decimal cost, double latency)
    {
        var attempt = new AttemptRecord(model.Key, model.Provider.Name, model.Tier, status, outcome, usage.PromptTokens, 0, cost, Math.Round(latency, 3)) { Kind = kind };
        PipelineTelemetry.Attempted(model, attempt);
        return attempt;
    }

    /// <summary>One call to the embeddings model, as retries and the circuit breaker judge it.</summary>
    private sealed class EmbedTry : IUpstreamOutcome
    {
        public UpstreamReply? Failure { get; private init; }

        public bool Retryable => Failure is not null;

        public EmbeddingReply? Reply { get; private init; }

        public TokenUsage Usage { get; private init; }

        public decimal? Cost { get; private init; }

        public static EmbedTry Answered(EmbeddingReply reply, TokenUsage usage, decimal? cost) => new() { Reply = reply, Usage = usage, Cost = cost };

        public static EmbedTry Failed(EmbeddingReply reply) => new()
        {
            Failure = new UpstreamReply
            {
                Status = reply.Failure switch
                {
                    UpstreamFailure.RateLimited => 429,
                    UpstreamFailure.Timeout => 504,
                    UpstreamFailure.Rejected => 400,
                    _ => 502,
                },
                Body = BinaryData.Empty,
                Failure = reply.Failure,
                Error = reply.Error,
            },
        };
    }
}
