using System.Text;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Caching;

/// <summary>
/// The written pairs through the app's own cache and MiniLM: no adversarial pair is ever a hit at the default threshold
/// (and none gets through on similarity and the content gate alone), while most paraphrases are.
/// </summary>
public sealed class CachePairTests(CacheFactory factory) : IClassFixture<CacheFactory>
{
    private static readonly double Threshold = new CachePolicy().Threshold;

    private async Task<(CacheLookup Lookup, double Similarity, string? Gate)> StoreThenAskAsync(long key, string stored, string asked)
    {
        var cache = factory.Services.GetRequiredService<ResponseCache>();
        var embedder = factory.Services.GetRequiredService<IEmbedder>();
        var snapshot = factory.Services.GetRequiredService<RoutingState>().Current;
        var ct = TestContext.Current.CancellationToken;
        var caller = new CallerContext("req_pairs", key, DateTimeOffset.UtcNow, 0, false);

        using (var first = Parse(stored))
        {
            var decision = await snapshot.DecideAsync(first, ct);
            if (await cache.LookupAsync(first, caller, decision, ct) is { } miss)
            {
                cache.Store(miss, "The stored answer.", "stop", false, decision.Model, decision.Rule, new CostConsole.Routing.Pricing.TokenUsage(10, 0, 10), 0.0001m);
            }
        }

        using var second = Parse(asked);
        var lookup = (await cache.LookupAsync(second, caller, await snapshot.DecideAsync(second, ct), ct))!;
        var a = await embedder.EmbedAsync(stored, ct);
        var b = await embedder.EmbedAsync(asked, ct);
        return (lookup, EmbeddingVectors.Dot(a, b), PromptFacts.Of(stored).DiffersFrom(PromptFacts.Of(asked)));
    }

    private static ChatRequest Parse(string prompt) =>
        ChatRequestParser.Parse(Encoding.UTF8.GetBytes(System.Text.Json.JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = prompt } } })), null, O200kTokenCounter.Instance);

    [Fact]
    public async Task No_adversarial_pair_is_served_from_cache_and_none_would_pass_on_similarity_and_the_content_gate_alone()
    {
        var wrong = new List<string>();
        var report = new StringBuilder();
        for (var i = 0; i < CachePairs.Adversarial.Length; i++)
        {
            var (kind, stored, asked) = CachePairs.Adversarial[i];
            var (lookup, similarity, gate) = await StoreThenAskAsync(1000 + i, stored, asked);
            report.AppendLine($"{kind,-9} {similarity:0.000} {lookup.Level,-8} {gate ?? "-"} | {stored} | {asked}");
            if (lookup.Entry is not null || (similarity >= Threshold && gate is null))
            {
                wrong.Add($"{kind}: \"{stored}\" / \"{asked}\" (similarity {similarity:0.000})");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        Assert.Empty(wrong);
    }

    [Fact]
    public async Task Most_paraphrases_are_semantic_hits_at_the_default_threshold()
    {
        var hits = 0;
        var report = new StringBuilder();
        for (var i = 0; i < CachePairs.Paraphrases.Length; i++)
        {
            var (stored, asked) = CachePairs.Paraphrases[i];
            var (lookup, similarity, gate) = await StoreThenAskAsync(2000 + i, stored, asked);
            hits += lookup.Level == CacheLevel.Semantic ? 1 : 0;
            report.AppendLine($"{similarity:0.000} {lookup.Level,-8} {lookup.Reason ?? gate ?? "-"} | {stored} | {asked}");
        }

        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());
        TestContext.Current.TestOutputHelper?.WriteLine($"recall {hits}/{CachePairs.Paraphrases.Length}");
        Assert.True(hits >= CachePairs.Paraphrases.Length * 3 / 4, $"only {hits} of {CachePairs.Paraphrases.Length} paraphrases were hits:\n{report}");
    }
}
