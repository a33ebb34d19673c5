using System.Collections.Concurrent;
using System.Globalization;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Affinity;

/// <summary>
/// Keeps a conversation (the client's <c>x-costconsole-conversation</c> id) on the model that served its last turn while
/// that model's provider prompt cache is likely warm, so the conversation's long prefix is billed at the cached price
/// instead of in full again. What may still move it: a hard rule (marked hard, pinning a model, or testing personal data),
/// a tier or model the request names, a running experiment, personal data its provider may not receive, and escalation
/// or fallback while the turn runs. A move within the window records the cold-cache cost it caused.
/// </summary>
/// <remarks>
/// The memory is this instance's, in memory, bounded: with several instances behind a load balancer a conversation keeps
/// its model when its turns reach the same instance (sticky sessions), and is routed afresh otherwise.
/// </remarks>
public sealed class ConversationAffinity(ConversationAffinityOptions options)
{
    private const string NotePrefix = "conversation affinity: ";
    private readonly ConcurrentDictionary<string, WarmModel> _memory = new(StringComparer.Ordinal);
    private int _trimming;

    public ConversationAffinityOptions Options => options;

    /// <summary>Conversations remembered now (expired ones included until they are trimmed or looked up).</summary>
    public int Count => _memory.Count;

    /// <summary>Why a rule moves a conversation past its affinity, or null when it yields to it.</summary>
    internal static string? HardReason(RuleDefinition rule) =>
        rule.Action.Model is { Length: > 0 } ? "pins a model"
        : rule.Conditions.Any(c => c is PersonalDataCondition) ? "tests for personal data"
        : rule.Hard ? "is marked hard"
        : null;

    /// <summary>The model that served <paramref name="conversationId"/>'s last turn, when it did so within the window before <paramref name="now"/>.</summary>
    public WarmModel? WarmFor(string? conversationId, DateTimeOffset now)
    {
        if (!options.Enabled || string.IsNullOrEmpty(conversationId) || !_memory.TryGetValue(conversationId, out var warm))
        {
            return null;
        }

        if (now - warm.ServedAt <= options.Window)
        {
            return warm;
        }

        // The cache has gone cold: the next turn is routed afresh and loses nothing by moving.
        _memory.TryRemove(new KeyValuePair<string, WarmModel>(conversationId, warm));
        return null;
    }

    /// <summary>
    /// The decision for a turn of <paramref name="conversationId"/>: <paramref name="decision"/> itself when the conversation has
    /// no warm model or something must move it (with a note saying what), else the same decision kept on the warm model,
    /// whose tier's other models stay behind it for fallback. Reads only; nothing is remembered until the turn is answered.
    /// </summary>
    public RoutingDecision Apply(RoutingSnapshot snapshot, RoutingDecision decision, ChatRequest request, string? conversationId, DateTimeOffset now)
    {
        if (WarmFor(conversationId, now) is not { } warm || decision.Candidates.Count == 0)
        {
            return decision;
        }

        var age = Age(now - warm.ServedAt);
        if (string.Equals(decision.Model.Key, warm.ModelKey, StringComparison.Ordinal))
        {
            return decision.WithAffinity(warm, null, null, null);
        }

        var model = snapshot.FindModel(warm.ModelKey);
        var yieldsTo = decision.MustMove
            ?? (decision.ExperimentId is { } experiment ? $"the conversation is in experiment #{experiment}" : null)
            ?? (model is null || model.Model.Kind != ModelKind.Chat ? "it is no longer a chat model of the catalogue" : null)
            ?? (snapshot.Parts.RoutesPersonalData && request.PersonalData is { Any: true } && !model!.Provider.MayReceivePersonalData
                ? $"the request contains personal data and provider '{model.Provider.Name}' may not receive it"
                : null);
        if (yieldsTo is not null)
        {
            return decision.WithAffinity(warm, null, null, $"{NotePrefix}moved off {warm.ModelKey} (served this conversation {age} ago) because {yieldsTo}");
        }

        var tier = snapshot.IsTier(warm.Tier) ? warm.Tier : model!.Tier;
        var tierModels = snapshot.CandidatesFor(tier);
        var kept = new List<RoutedModel>(tierModels.Count + 1);
        kept.Add(tierModels.FirstOrDefault(m => string.Equals(m.Key, warm.ModelKey, StringComparison.Ordinal)) ?? model!);
        foreach (var other in tierModels)
        {
            if (!string.Equals(other.Key, warm.ModelKey, StringComparison.Ordinal))
            {
                kept.Add(other);
            }
        }

        return decision.WithAffinity(warm, kept, tier,
            $"{NotePrefix}kept on {warm.ModelKey}, which served this conversation {age} ago and whose prompt cache is likely warm (the router chose {decision.Model.Key})");
    }

    /// <summary>Remembers the model that answered a conversation's turn; a failed turn or an answer from the response cache changes nothing.</summary>
    public void Remember(string? conversationId, DateTimeOffset receivedAt, ChatOutcome outcome)
    {
        if (!options.Enabled || string.IsNullOrEmpty(conversationId) || !outcome.IsSuccess || outcome.Model is not { } model || outcome.Cache?.Entry is not null)
        {
            return;
        }

        _memory[conversationId] = new WarmModel(model.Key, model.Tier, receivedAt, outcome.Usage.PromptTokens);
        if (_memory.Count > options.MaxConversations)
        {
            Trim(receivedAt);
        }
    }

    /// <summary>
    /// The estimated cost of a turn moved off its conversation's warm model: the prompt tokens that model's cache likely held
    /// (the last turn's prompt, at most this one's, less what the new model read from its own cache), priced at what the
    /// warm cache would have saved on them there (input − cached-input price in force). Zero when nothing moved, when the
    /// prefix is shorter than providers cache, or when the warm model has no cached price.
    /// </summary>
    public static decimal ColdCacheCost(WarmModel? warm, RoutedModel? served, TokenUsage usage, PriceBook prices, DateTimeOffset at, bool batch, long minCachedTokens)
    {
        if (warm is null || served is null || string.Equals(served.Key, warm.ModelKey, StringComparison.Ordinal))
        {
            return 0m;
        }

        var lost = Math.Min(warm.PromptTokens, usage.PromptTokens) - usage.CachedPromptTokens;
        if (lost < Math.Max(1, minCachedTokens) || prices.PriceAt(warm.ModelKey, at) is not { } price)
        {
            return 0m;
        }

        var rates = batch ? price.ForBatch() : price;
        return rates.CachedInputPerMillion is { } cached && cached < rates.InputPerMillion
            ? lost * (rates.InputPerMillion - cached) / 1_000_000m
            : 0m;
    }

    /// <summary>The cold-cache cost of an answered turn whose decision knew <paramref name="warm"/>, with this instance's settings.</summary>
    public decimal ColdCacheCost(WarmModel? warm, RoutedModel? served, TokenUsage usage, PriceBook prices, DateTimeOffset at, bool batch) =>
        ColdCacheCost(warm, served, usage, prices, at, batch, options.MinCachedTokens);

    /// <summary>Forgets expired conversations and, while still over the bound, the least recently served; one trimmer at a time.</summary>
    private void Trim(DateTimeOffset now)
    {
        if (Interlocked.Exchange(ref _trimming, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var (id, warm) in _memory)
            {
                if (now - warm.ServedAt > options.Window)
                {
                    _memory.TryRemove(new KeyValuePair<string, WarmModel>(id, warm));
                }
            }

            // Trimmed to 90% of the bound, so a full memory is not sorted again on every turn.
            var target = options.MaxConversations - Math.Max(1, options.MaxConversations / 10);
            var excess = _memory.Count - target;
            if (excess <= 0)
            {
                return;
            }

            foreach (var (id, warm) in _memory.OrderBy(p => p.Value.ServedAt).Take(excess).ToList())
            {
                _memory.TryRemove(new KeyValuePair<string, WarmModel>(id, warm));
            }
        }
        finally
        {
            Volatile.Write(ref _trimming, 0);
        }
    }

    private static string Age(TimeSpan age) =>
        age < TimeSpan.FromMinutes(1)
            ? Math.Max(0, (int)age.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s"
            : age.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture) + " min";
}
