using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CostConsole.Embeddings;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks.Embeddings;

/// <summary>
/// Times single MiniLM embeddings and single semantic-classifier decisions one by one (batch 1, as requests come) and
/// reports per-call percentiles: for 50-, 500- and 2,000-character prompts, for several word-piece limits and
/// intra-op thread counts, from the cache, and the whole decision against the TF-IDF vectoriser side by side.
/// Run it pinned to one core (<c>taskset -c 1</c>) for one-core figures.
/// </summary>
internal static class EmbeddingLatency
{
    private static readonly int[] Lengths = [50, 500, 2000];

    public static void Run(string[] args)
    {
        var calls = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 300;
        Console.WriteLine($"MiniLM per-call latency, batch 1, {calls} calls per case after 30 warm-up calls; processors visible: {Environment.ProcessorCount}; server GC: {System.Runtime.GCSettings.IsServerGC}");
        Console.WriteLine();
        Console.WriteLine("| Case | Prompt (chars) | Word pieces read | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | mean (ms) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");

        foreach (var (maxTokens, threads) in new[] { (64, 1), (128, 1), (256, 1), (64, 2) })
        {
            var embedder = new MiniLmEmbedder(new MiniLmOptions { MaxTokens = maxTokens, IntraOpThreads = threads });
            foreach (var length in Lengths)
            {
                var prompt = ExamplePrompts.Prompt(length);
                var tokens = embedder.CountTokens(prompt);
                var result = Sample(calls, _ => embedder.EmbedAsync(prompt, default).Result);
                Row($"embed, MaxTokens {maxTokens}, {threads} thread(s)", length, tokens.ToString(CultureInfo.InvariantCulture), result);
            }
        }

        var cached = new CachedEmbedder(new MiniLmEmbedder(new MiniLmOptions()), new EmbeddingCache(4096));
        foreach (var length in Lengths)
        {
            var prompt = ExamplePrompts.Prompt(length);
            _ = cached.EmbedAsync(prompt, default).Result;
            Row("embed, from the cache (prompt seen before)", length, "-", Sample(calls * 10, _ => cached.EmbedAsync(prompt, default).Result));
        }

        // The whole decision (parse, no rule, the semantic classifier over 150 examples) for a prompt never seen before.
        var miniLm = SnapshotCompiler.Compile(Config(Vectoriser.MiniLm), embedder: new CachedEmbedder(new MiniLmEmbedder(new MiniLmOptions()), new EmbeddingCache(4096)));
        var tfIdf = SnapshotCompiler.Compile(Config(Vectoriser.HashedTfIdf));
        foreach (var length in Lengths)
        {
            foreach (var (name, snapshot, count) in new[] { ("decision, MiniLM (new prompt each call)", miniLm, calls), ("decision, TF-IDF (new prompt each call)", tfIdf, calls * 10) })
            {
                var bodies = Enumerable.Range(0, count + 30).Select(i => Body(i + " " + ExamplePrompts.Prompt(length))).ToArray();
                Row(name, length, "-", Sample(count, i =>
                {
                    using var request = ChatRequestParser.Parse(bodies[i], null, O200kTokenCounter.Instance);
                    return snapshot.DecideAsync(request).Result;
                }));
            }
        }
    }

    private static byte[] Body(string prompt) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = prompt } } }));

    private static void Row(string name, int length, string tokens, Percentiles p) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {length:N0} | {tokens} | {p.P50:F3} | {p.P90:F3} | {p.P99:F3} | {p.Max:F3} | {p.Mean:F3} |"));

    /// <summary>Calls <paramref name="call"/> with 0..warm-up+count−1; the first 30 are warm-up.</summary>
    private static Percentiles Sample<T>(int count, Func<int, T> call)
    {
        for (var i = 0; i < 30; i++)
        {
            GC.KeepAlive(call(i));
        }

        var ticks = new long[count];
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            GC.KeepAlive(call(30 + i));
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }

        Array.Sort(ticks);
        var toMilliseconds = 1_000.0 / Stopwatch.Frequency;
        double At(double fraction) => ticks[Math.Min(ticks.Length - 1, (int)Math.Ceiling(fraction * ticks.Length) - 1)] * toMilliseconds;
        return new Percentiles(At(0.50), At(0.90), At(0.99), ticks[^1] * toMilliseconds, ticks.Average() * toMilliseconds);
    }

    private static RoutingConfig Config(Vectoriser vectoriser) =>
        BenchmarkCatalogue.Config(new ClassifierDefinition { Kind = ClassifierKind.Semantic, Semantic = new() { Examples = ExamplePrompts.PerTier(50), Vectoriser = vectoriser } });

    private readonly record struct Percentiles(double P50, double P90, double P99, double Max, double Mean);
}
