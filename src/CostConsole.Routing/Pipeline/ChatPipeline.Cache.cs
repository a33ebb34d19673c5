using System.Diagnostics;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Pipeline;

/// <summary>The response cache's part of the one path: looked up once routing has decided, served as an answer of its own.</summary>
public sealed partial class ChatPipeline
{
    /// <summary>
    /// Looks the request up; on a hit, answers it from the entry (a stream for a streaming client), writes its ledger
    /// row at cost 0 and returns that outcome as <c>Served</c>. A miss returns the lookup the answer is stored with.
    /// </summary>
    private async Task<(CacheLookup? Lookup, ChatOutcome? Served)> LookUpAsync(
        ResponseCache responses, RoutingSnapshot snapshot, RoutingDecision decision, ChatRequest request, CallerContext caller, IChatStreamSink? sink, CancellationToken cancellationToken)
    {
        var lookup = await responses.LookupAsync(request, caller, decision, cancellationToken).ConfigureAwait(false);
        if (lookup?.Entry is not { } entry)
        {
            sink?.Cached(lookup);
            return (lookup, null);
        }

        // An answer from a model the catalogue no longer routes to is not served: the client would be told of a model it cannot reach.
        if (snapshot.FindModel(entry.Model) is not { } model)
        {
            var stale = new CacheLookup { Level = CacheLevel.Miss, Reason = $"the entry's model {entry.Model} is no longer in the catalogue" };
            sink?.Cached(stale);
            return (stale, null);
        }

        var usage = new TokenUsage(request.PromptTokens, 0, entry.CompletionTokens);
        var avoided = CostCalculator.Cost(snapshot.Prices, model.Key, caller.ReceivedAt, usage) ?? entry.Cost;
        var baseline = snapshot.Baseline is { } b ? CostCalculator.Cost(snapshot.Prices, b.Key, caller.ReceivedAt, usage) ?? avoided : avoided;
        var id = "chatcmpl-" + caller.RequestId;
        double? firstToken = null;
        BinaryData? body = null;
        if (sink is null)
        {
            body = CachedAnswer.Completion(entry, id, model.Model.Id, caller.ReceivedAt, usage);
        }
        else
        {
            sink.Cached(lookup);
            await sink.BeginAsync(decision, model, cancellationToken).ConfigureAwait(false);
            firstToken = Stopwatch.GetElapsedTime(caller.StartTimestamp).TotalMilliseconds;
            foreach (var chunk in CachedAnswer.Chunks(entry, id, model.Model.Id, caller.ReceivedAt, usage, request.IncludeUsage))
            {
                await sink.WriteAsync(chunk, cancellationToken).ConfigureAwait(false);
            }
        }

        var outcome = new ChatOutcome
        {
            RequestId = caller.RequestId,
            Decision = decision,
            Model = model,
            Usage = usage,
            Cost = 0m,
            BaselineCost = baseline,
            Priced = true,
            LatencyMs = Stopwatch.GetElapsedTime(caller.StartTimestamp).TotalMilliseconds,
            TimeToFirstTokenMs = firstToken,
            Body = body,
            AnswerText = caller.EffectivePromptStorage == Privacy.PromptStorage.None ? null : entry.Answer,
            Cache = lookup,
            CacheAvoidedCost = avoided,
        };
        await RecordRowAsync(Entry(outcome, request, caller, LedgerStatus.Answered, 200)).ConfigureAwait(false);
        responses.Served(entry, avoided);
        if (sink is not null)
        {
            await sink.EndAsync(cancellationToken).ConfigureAwait(false);
        }

        return (lookup, outcome);
    }
}
