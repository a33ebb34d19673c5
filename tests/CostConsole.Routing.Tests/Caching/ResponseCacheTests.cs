using CostConsole.Routing.Caching;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests.Caching;

/// <summary>The cache's levels, namespaces, policy, expiry and faults, with a blurry embedder that calls near-anagrams similar.</summary>
public sealed class ResponseCacheTests
{
    private readonly ManualClock _time = new(PriceStart.AddDays(1));
    private readonly RecordingStore _store = new();
    private readonly FakeEmbedder _embedder = new();
    private readonly RoutingSnapshot _snapshot = Snapshot(Rule("faq", "small", new Rules.KeywordCondition(Rules.KeywordMatch.Any, ["faq"])));

    private ResponseCache Cache(CacheSettings? settings = null, Func<long, string?>? teams = null)
    {
        var cache = new ResponseCache(_store, _time, _embedder, teams);
        cache.Apply(settings ?? new CacheSettings { Enabled = true });
        return cache;
    }

    private static CallerContext Caller(long key = 1, string protocol = ClientProtocols.ChatCompletions) =>
        new("req_" + Guid.NewGuid().ToString("N"), key, PriceStart.AddDays(1), 0, false, Protocol: protocol);

    private async Task<CacheLookup?> LookupAsync(ResponseCache cache, string prompt, long key = 1, string? extraJson = null, string? tags = null)
    {
        using var request = Request(prompt, extraJson: extraJson, tags: tags);
        var decision = await _snapshot.DecideAsync(request, TestContext.Current.CancellationToken);
        return await cache.LookupAsync(request, Caller(key), decision, TestContext.Current.CancellationToken);
    }

    private async Task<CacheEntry?> AnswerAsync(ResponseCache cache, string prompt, string answer, long key = 1, string? extraJson = null, string? tags = null)
    {
        var lookup = await LookupAsync(cache, prompt, key, extraJson, tags);
        return cache.Store(lookup!, answer, "stop", toolCalls: false, _snapshot.Models[0], null, new TokenUsage(12, 0, 30), 0.0001m);
    }

    [Fact]
    public async Task The_same_question_again_is_an_exact_hit_and_a_near_paraphrase_a_semantic_hit_with_its_similarity()
    {
        var cache = Cache();
        var stored = await AnswerAsync(cache, "Where is my parcel?", "It is on its way.");

        var exact = await LookupAsync(cache, "Where is my parcel?");
        var semantic = await LookupAsync(cache, "Where is my parcel ?!");

        Assert.Equal((CacheLevel.Exact, stored), (exact!.Level, exact.Entry));
        Assert.Equal((CacheLevel.Semantic, stored), (semantic!.Level, semantic.Entry));
        Assert.InRange(semantic.Similarity!.Value, 0.9, 1.0);
        Assert.Equal([stored!.Id], _store.AddedIds);
    }

    [Fact]
    public async Task A_negated_question_scores_above_the_threshold_but_the_content_gate_makes_it_a_miss_and_says_why()
    {
        var cache = Cache();
        await AnswerAsync(cache, "How do I turn on alerts?", "Settings, then Alerts, then On.");

        var lookup = await LookupAsync(cache, "How do I turn off alerts?");

        Assert.Equal(CacheLevel.Miss, lookup!.Level);
        Assert.Contains("content gate: opposite words", lookup.Reason, StringComparison.Ordinal);
        Assert.True(lookup.Similarity >= 0.9);
        Assert.Equal(1, cache.Counters.GateRefusals);
    }

    [Fact]
    public async Task Another_key_never_sees_an_entry_unless_the_scope_is_shared()
    {
        var byKey = Cache();
        await AnswerAsync(byKey, "Where is my parcel?", "On its way.", key: 1);
        var team = Cache(new CacheSettings { Enabled = true, Default = new CachePolicy { Scope = CacheScope.Team } }, id => id is 1 or 2 ? "support" : null);
        await AnswerAsync(team, "Where is my parcel?", "On its way.", key: 1);

        Assert.Equal(CacheLevel.Miss, (await LookupAsync(byKey, "Where is my parcel?", key: 2))!.Level);
        Assert.Equal(CacheLevel.Exact, (await LookupAsync(team, "Where is my parcel?", key: 2))!.Level);
        Assert.Equal(CacheLevel.Miss, (await LookupAsync(team, "Where is my parcel?", key: 3))!.Level);
    }

    [Theory]
    [InlineData("Where is my parcel?", "personal")]
    [InlineData("Where is order 884213?", null)]
    [InlineData("Please resend the receipt to jane@example.com", null)]
    [InlineData("Why was I charged $49.99 twice?", null)]
    public async Task A_personal_request_is_never_stored_and_never_served_from_the_semantic_level(string prompt, string? tags)
    {
        var cache = Cache();

        var lookup = await LookupAsync(cache, prompt, tags: tags);
        var stored = cache.Store(lookup!, "An answer.", "stop", false, _snapshot.Models[0], null, new TokenUsage(10, 0, 10), 0.0001m);

        Assert.Equal(CacheLevel.Miss, lookup!.Level);
        Assert.StartsWith("personal", lookup.Reason, StringComparison.Ordinal);
        Assert.Null(stored);
        Assert.Empty(_store.AddedIds);
        Assert.Empty(_embedder.Single);
    }

    [Fact]
    public async Task The_metadata_flag_marks_a_request_personal()
    {
        var cache = Cache();

        var lookup = await LookupAsync(cache, "Where is my parcel?", extraJson: "\"metadata\":{\"personal\":\"true\"}");

        Assert.Equal("personal (marked personal): not stored, no semantic lookup", lookup!.Reason);
    }

    [Theory]
    [InlineData("\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"track\",\"parameters\":{}}}]", "tools")]
    [InlineData("\"temperature\":1.5", "temperature 1.5 is above 1")]
    [InlineData("\"logprobs\":true", "logprobs asked for")]
    public async Task Tools_a_high_temperature_or_logprobs_bypass_the_cache(string extraJson, string reason)
    {
        var cache = Cache();

        var lookup = await LookupAsync(cache, "Where is my parcel?", extraJson: extraJson);

        Assert.Equal(CacheLevel.Bypass, lookup!.Level);
        Assert.Equal("miss", lookup.Header);
        Assert.Contains(reason, lookup.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_with_its_own_policy_is_cached_by_it_and_the_default_applies_to_the_rest()
    {
        var cache = Cache(new CacheSettings
        {
            Enabled = true,
            Default = new CachePolicy { Enabled = false },
            Rules = new Dictionary<string, CachePolicy> { ["faq"] = new() { Threshold = 0.95 } },
        });

        Assert.Equal(CacheLevel.Miss, (await LookupAsync(cache, "faq: where is my parcel?"))!.Level);
        Assert.Equal("off by the default policy", (await LookupAsync(cache, "Where is my parcel?"))!.Reason);
    }

    [Fact]
    public async Task An_entry_expires_after_its_time_to_live_and_the_sweep_removes_it_from_storage()
    {
        var cache = Cache(new CacheSettings { Enabled = true, Default = new CachePolicy { TimeToLive = TimeSpan.FromMinutes(10) } });
        var entry = await AnswerAsync(cache, "Where is my parcel?", "On its way.");

        _time.Advance(TimeSpan.FromMinutes(9));
        var before = await LookupAsync(cache, "Where is my parcel?");
        _time.Advance(TimeSpan.FromMinutes(2));
        var after = await LookupAsync(cache, "Where is my parcel?");
        var swept = cache.RemoveExpired();

        Assert.Equal(CacheLevel.Exact, before!.Level);
        Assert.Equal(CacheLevel.Miss, after!.Level);
        Assert.Equal(1, swept);
        Assert.Equal([entry!.Id], _store.RemovedIds);
        Assert.Empty(cache.Entries());
    }

    [Fact]
    public async Task An_embedder_that_fails_makes_a_counted_miss_and_the_exact_level_still_works()
    {
        var cache = Cache();
        await AnswerAsync(cache, "Where is my parcel?", "On its way.");
        _embedder.LoadError = "the model could not be loaded";

        var paraphrase = await LookupAsync(cache, "Where is my parcel ?!");
        var same = await LookupAsync(cache, "Where is my parcel?");

        Assert.Equal((CacheLevel.Miss, "no embedding: the model could not be loaded"), (paraphrase!.Level, paraphrase.Reason));
        Assert.Equal(CacheLevel.Exact, same!.Level);
        Assert.Equal(1, cache.Counters.EmbeddingFailures);
    }

    [Fact]
    public async Task A_full_cache_stores_nothing_more_counts_it_and_still_serves_what_it_has()
    {
        var cache = Cache(new CacheSettings { Enabled = true, MaxEntries = 1 });
        await AnswerAsync(cache, "Where is my parcel?", "On its way.");

        var second = await AnswerAsync(cache, "What are your opening hours?", "9 to 5.");

        Assert.Null(second);
        Assert.Equal(1, cache.Counters.IndexFull);
        Assert.Equal(CacheLevel.Exact, (await LookupAsync(cache, "Where is my parcel?"))!.Level);
    }

    [Fact]
    public async Task Only_complete_answers_are_stored()
    {
        var cache = Cache();
        var lookup = await LookupAsync(cache, "Where is my parcel?");

        Assert.Null(cache.Store(lookup!, "It is on", "length", false, _snapshot.Models[0], null, default, 0m));
        Assert.Null(cache.Store(lookup!, "", "stop", true, _snapshot.Models[0], null, default, 0m));
        Assert.Empty(_store.AddedIds);
    }

    [Fact]
    public async Task Purging_a_namespace_removes_its_entries_and_leaves_the_others()
    {
        var cache = Cache();
        await AnswerAsync(cache, "Where is my parcel?", "On its way.", key: 1);
        var kept = await AnswerAsync(cache, "Where is my parcel?", "On its way.", key: 2);

        var purged = cache.Purge(e => e.Namespace == "key:1");

        Assert.Equal(1, purged);
        Assert.Equal([kept!], cache.Entries());
        Assert.Equal(CacheLevel.Miss, (await LookupAsync(cache, "Where is my parcel ?!", key: 1))!.Level);
    }

    [Fact]
    public async Task A_cache_that_is_off_or_a_request_from_another_api_is_not_looked_up()
    {
        var off = Cache(new CacheSettings());
        using var request = Request("Where is my parcel?");
        var decision = await _snapshot.DecideAsync(request, TestContext.Current.CancellationToken);

        Assert.Null(await off.LookupAsync(request, Caller(), decision, TestContext.Current.CancellationToken));
        Assert.Null(await Cache().LookupAsync(request, Caller(protocol: ClientProtocols.Responses), decision, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Settings_with_problems_are_refused_and_say_which()
    {
        var cache = Cache();

        var error = Assert.Throws<ArgumentException>(() => cache.Apply(new CacheSettings { Default = new CachePolicy { Threshold = 1.5, MaxTurns = 0 } }));

        Assert.Contains("similarity threshold must be above 0 and at most 1 (it is 1.5)", error.Message, StringComparison.Ordinal);
        Assert.Contains("maximum number of turns must be at least 1", error.Message, StringComparison.Ordinal);
    }

    private sealed class RecordingStore : ICacheStore
    {
        public List<string> AddedIds { get; } = [];

        public List<string> RemovedIds { get; } = [];

        public void Added(CacheEntry entry) => AddedIds.Add(entry.Id);

        public void Hit(CacheEntry entry)
        {
        }

        public void Removed(IReadOnlyList<string> ids) => RemovedIds.AddRange(ids);
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
