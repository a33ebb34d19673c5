using System.Collections.Concurrent;
using System.Text.Json;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Caching;

/// <summary>
/// The response cache: an exact level (by fingerprint) and a semantic level (by the request's embedding, the same one
/// the classifier uses), both inside a hard namespace per key, team or everybody. A semantic hit must also pass the
/// content gate; a personal request is neither stored nor served from the semantic level. Nothing here can fail a
/// request: a fault is a miss, counted.
/// </summary>
/// <param name="teamOf">The team of an API key, for the team scope; null when keys have no teams.</param>
public sealed class ResponseCache(ICacheStore store, TimeProvider time, IEmbedder? embedder = null, Func<long, string?>? teamOf = null)
{
    private readonly ConcurrentDictionary<string, CacheEntry> _exact = new(StringComparer.Ordinal);
    private readonly SemanticIndex _index = new();
    private volatile CacheSettings _settings = new();
    private int _count;

    public CacheSettings Settings => _settings;

    public CacheCounters Counters { get; } = new();

    /// <summary>Entries held now, expired ones included until the next sweep.</summary>
    public int Count => Volatile.Read(ref _count);

    public string? EmbedderName => embedder?.Name;

    /// <summary>Whether the embeddings are computed in this process, so a lookup costs no embeddings charge.</summary>
    public bool EmbedderLocal => embedder?.Local ?? true;

    /// <exception cref="ArgumentException">The settings have problems; the ones in force are kept.</exception>
    public void Apply(CacheSettings settings)
    {
        if (settings.Problems() is { Count: > 0 } problems)
        {
            throw new ArgumentException(string.Join(" ", problems), nameof(settings));
        }

        _settings = settings;
    }

    public void SetEnabled(bool enabled) => _settings = _settings with { Enabled = enabled };

    /// <summary>The namespace of a caller under <paramref name="scope"/>.</summary>
    public string NamespaceOf(long apiKeyId, CacheScope scope) => scope switch
    {
        CacheScope.Global => "global",
        CacheScope.Team when teamOf?.Invoke(apiKeyId) is { Length: > 0 } team => "team:" + team,
        _ => "key:" + apiKeyId,
    };

    /// <summary>
    /// Looks the request up after routing decided (the decision's rule chooses the policy). Null when the cache is off
    /// or the request is not a chat completion from an API key.
    /// </summary>
    public async ValueTask<CacheLookup?> LookupAsync(ChatRequest request, CallerContext caller, RoutingDecision decision, CancellationToken cancellationToken)
    {
        // Timed, so the console can weigh what a miss costs against what a hit saves.
        var started = time.GetTimestamp();
        var lookup = await LookupCoreAsync(request, caller, decision, cancellationToken).ConfigureAwait(false);
        if (lookup is not null)
        {
            Counters.Timed(lookup.Level, time.GetElapsedTime(started));
        }

        return lookup;
    }

    private async ValueTask<CacheLookup?> LookupCoreAsync(ChatRequest request, CallerContext caller, RoutingDecision decision, CancellationToken cancellationToken)
    {
        var settings = _settings;
        if (!settings.Enabled || caller.ApiKeyId is not { } keyId || caller.Protocol != ClientProtocols.ChatCompletions)
        {
            return null;
        }

        var policy = settings.For(decision.Rule);
        if (Bypass(request, policy, decision) is { } reason)
        {
            return Counted(new CacheLookup { Level = CacheLevel.Bypass, Reason = reason });
        }

        var now = time.GetUtcNow();
        var space = NamespaceOf(keyId, policy.Scope);
        var keys = CacheFingerprint.Of(request);
        if (_exact.TryGetValue(space + "\n" + keys.Exact, out var exact) && !exact.Removed && !exact.Expired(now) && Serves(policy, exact))
        {
            return Counted(new CacheLookup { Level = CacheLevel.Exact, Entry = exact, Similarity = 1 });
        }

        if (PersonalContent.Reason(request) is { } personal)
        {
            return Counted(new CacheLookup { Level = CacheLevel.Miss, Reason = "personal (" + personal + "): not stored, no semantic lookup" });
        }

        var miss = new CacheLookup { Level = CacheLevel.Miss, Storable = true, Namespace = space, Keys = keys, Policy = policy, Prompt = request.LastUserText };
        if (!policy.Semantic || embedder is null)
        {
            return Counted(miss);
        }

        float[] vector;
        try
        {
            vector = await request.EmbeddingAsync(embedder, cancellationToken).ConfigureAwait(false);
        }
        catch (EmbeddingException ex)
        {
            Counters.EmbeddingFailed();
            return Counted(new CacheLookup
            {
                Level = CacheLevel.Miss,
                Reason = "no embedding: " + ex.Message,
                Storable = true,
                Namespace = space,
                Keys = keys,
                Policy = policy,
                Prompt = request.LastUserText,
            });
        }

        var partition = SemanticIndex.PartitionOf(space, keys.Context, embedder.Name);
        var candidates = _index.Search(partition, vector, policy.Threshold, now);
        var withVector = new CacheLookup
        {
            Level = CacheLevel.Miss,
            Storable = true,
            Namespace = space,
            Keys = keys,
            Policy = policy,
            Prompt = request.LastUserText,
            Vector = vector,
            Embedder = embedder.Name,
        };
        if (candidates.Count == 0)
        {
            return Counted(withVector);
        }

        var facts = PromptFacts.Of(request.LastUserText);
        string? refused = null;
        double? refusedSimilarity = null;
        foreach (var (entry, similarity) in candidates)
        {
            if (!Serves(policy, entry))
            {
                continue;
            }

            if (entry.Facts.DiffersFrom(facts) is { } why)
            {
                Counters.GateRefused();
                refused ??= why;
                refusedSimilarity ??= similarity;
                continue;
            }

            return Counted(new CacheLookup { Level = CacheLevel.Semantic, Entry = entry, Similarity = Math.Round(similarity, 4) });
        }

        return Counted(new CacheLookup
        {
            Level = CacheLevel.Miss,
            Reason = refused is null ? null : "content gate: " + refused,
            Similarity = refusedSimilarity is { } s ? Math.Round(s, 4) : null,
            Storable = true,
            Namespace = space,
            Keys = keys,
            Policy = policy,
            Prompt = request.LastUserText,
            Vector = vector,
            Embedder = embedder.Name,
        });
    }

    /// <summary>
    /// Stores a complete answer (finished with "stop", no tool call) after a miss that may be stored. Returns the entry,
    /// or null when it may not be stored or the cache is full (counted).
    /// </summary>
    public CacheEntry? Store(CacheLookup lookup, string? answer, string? finishReason, bool toolCalls, RoutedModel model, string? rule, TokenUsage usage, decimal cost)
    {
        if (!lookup.Storable || lookup.Policy is not { } policy || string.IsNullOrEmpty(answer) || toolCalls || finishReason != "stop" || !_settings.Enabled)
        {
            return null;
        }

        if (Volatile.Read(ref _count) >= _settings.MaxEntries)
        {
            Counters.Full();
            return null;
        }

        var now = time.GetUtcNow();
        var entry = new CacheEntry
        {
            Id = "ce_" + Guid.CreateVersion7().ToString("N"),
            Namespace = lookup.Namespace!,
            Fingerprint = lookup.Keys.Exact,
            Context = lookup.Keys.Context,
            Prompt = lookup.Prompt!,
            Vector = lookup.Vector,
            Embedder = lookup.Embedder,
            Answer = answer,
            FinishReason = finishReason,
            Model = model.Key,
            Tier = model.Tier,
            Rule = rule,
            PromptTokens = usage.PromptTokens,
            CompletionTokens = usage.CompletionTokens,
            Cost = cost,
            CreatedAt = now,
            ExpiresAt = now + policy.TimeToLive,
        };
        Add(entry);
        Counters.StoredOne();
        store.Added(entry);
        return entry;
    }

    /// <summary>Notes that <paramref name="entry"/> answered a request, and the cost that avoided.</summary>
    public void Served(CacheEntry entry, decimal avoided)
    {
        entry.Hit(avoided, time.GetUtcNow());
        store.Hit(entry);
    }

    /// <summary>Entries read back from storage at start; expired ones are left out.</summary>
    public void Load(IEnumerable<CacheEntry> entries)
    {
        var now = time.GetUtcNow();
        foreach (var entry in entries)
        {
            if (!entry.Expired(now))
            {
                Add(entry);
            }
        }
    }

    /// <summary>Completes when the semantic index's background refits started so far have finished.</summary>
    internal Task IndexRefitsAsync() => _index.RefitsAsync();

    /// <summary>A snapshot of the live entries, newest first.</summary>
    public IReadOnlyList<CacheEntry> Entries() =>
        [.. _exact.Values.Where(e => !e.Removed).OrderByDescending(e => e.CreatedAt)];

    /// <summary>Removes the entries <paramref name="which"/> selects, here and in storage; returns how many.</summary>
    public int Purge(Func<CacheEntry, bool> which)
    {
        var removed = new List<string>();
        foreach (var (key, entry) in _exact)
        {
            if (which(entry) && _exact.TryRemove(new KeyValuePair<string, CacheEntry>(key, entry)))
            {
                entry.Remove();
                Interlocked.Decrement(ref _count);
                removed.Add(entry.Id);
            }
        }

        if (removed.Count > 0)
        {
            _index.Compact();
            store.Removed(removed);
        }

        return removed.Count;
    }

    public int RemoveExpired()
    {
        var now = time.GetUtcNow();
        return Purge(e => e.Expired(now));
    }

    private void Add(CacheEntry entry)
    {
        var key = entry.Namespace + "\n" + entry.Fingerprint;
        CacheEntry? replaced = null;
        _exact.AddOrUpdate(key, entry, (_, old) =>
        {
            replaced = old;
            return entry;
        });
        if (replaced is not null)
        {
            replaced.Remove();
            store.Removed([replaced.Id]);
        }
        else
        {
            Interlocked.Increment(ref _count);
        }

        if (entry.Vector is not null && entry.Embedder is not null)
        {
            _index.Add(SemanticIndex.PartitionOf(entry.Namespace, entry.Context, entry.Embedder), entry);
        }
    }

    private CacheLookup Counted(CacheLookup lookup)
    {
        Counters.Count(lookup.Level);
        return lookup;
    }

    private static bool Serves(CachePolicy policy, CacheEntry entry) => policy.Tiers.Count == 0 || policy.Tiers.Contains(entry.Tier);

    /// <summary>Why the policy leaves this request out of the cache, or null.</summary>
    private static string? Bypass(ChatRequest request, CachePolicy policy, RoutingDecision decision)
    {
        if (!policy.Enabled)
        {
            return decision.Rule is null ? "off by the default policy" : $"off for rule {decision.Rule}";
        }

        if (request.HasTools || request.Messages.Any(m => m.Role is "tool" or "function"))
        {
            return "the request has tools or tool results";
        }

        if (request.UserTurns > policy.MaxTurns)
        {
            return $"{request.UserTurns} turns, more than {policy.MaxTurns}";
        }

        var root = request.Root;
        if (root.TryGetProperty("temperature", out var t) && t.ValueKind == JsonValueKind.Number && t.GetDouble() > policy.MaxTemperature)
        {
            return $"temperature {t.GetDouble()} is above {policy.MaxTemperature}";
        }

        return request.WantsLogprobs ? "logprobs asked for" : null;
    }
}
