using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Rules;
using CostConsole.Routing.Tokens;

namespace CostConsole.Benchmarks;

/// <summary>
/// The response cache's miss path, per call: fingerprint, exact lookup, personal check, flat semantic scan of one
/// namespace holding every entry (the worst case), and the content gate refusing the four near neighbours above the
/// threshold (the same question about another amount). The request's embedding is already computed, as the
/// classifier leaves it; MiniLM's own time is in <c>EmbeddingBenchmarks</c>. <c>Search</c> is the scan alone.
/// </summary>
[Config(typeof(PerCallConfig))]
public class CacheMissBenchmarks
{
    private const int Dimensions = 384;
    private const string Question = "What is the late fee on a 60 day overdue balance for the standard plan?";

    /// <summary>
    /// Real questions embedded: embedding takes minutes on a shared machine, so past this many the questions repeat
    /// (a repeated vector is pruned, or not, exactly as its first copy, so the share pruned is the pool's).
    /// </summary>
    private const int DistinctQuestions = 20_000;

    private ResponseCache _cache = null!;
    private SemanticIndex _index = null!;
    private ChatRequest _request = null!;
    private RoutingDecision _decision = null!;
    private CallerContext _caller = null!;
    private float[] _vector = null!;
    private float[] _stored = null!;
    private string _partition = null!;

    /// <summary>Heap bytes per entry object (prompt, answer, float vector), measured in <see cref="Setup"/>.</summary>
    public long EntryBytes { get; private set; }

    /// <summary>Heap bytes per entry that the cache adds when it loads them (exact map and semantic index).</summary>
    public long CacheBytes { get; private set; }

    [Params(10_000, 100_000)]
    public int Entries { get; set; }

    /// <summary>MiniLM embeddings of support questions instead of random unit vectors.</summary>
    public bool RealEmbeddings { get; set; }

    public SemanticIndex Index => _index;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var body = JsonSerializer.Serialize(new { model = "auto", messages = new[] { new { role = "user", content = Question } } });
        _request = ChatRequestParser.Parse(Encoding.UTF8.GetBytes(body), null, O200kTokenCounter.Instance);
        var real = RealEmbeddings ? Embeddings.SupportQuestionVectors.Load(Math.Min(Entries, DistinctQuestions)) : null;
        var realPrompts = RealEmbeddings ? Embeddings.SupportQuestionVectors.Prompts(Math.Min(Entries, DistinctQuestions)) : null;
        var miniLm = RealEmbeddings ? new CostConsole.Embeddings.MiniLmEmbedder(new CostConsole.Embeddings.MiniLmOptions()) : null;
        _vector = miniLm is null ? Unit(random) : miniLm.EmbedAsync(Question, default).AsTask().GetAwaiter().GetResult();
        var embedder = new FixedEmbedder(_vector);
        var keys = CacheFingerprint.Of(_request);
        _cache = new ResponseCache(new NoStore(), TimeProvider.System, embedder);
        _cache.Apply(new CacheSettings { Enabled = true, MaxEntries = Entries + 10 });
        _index = new SemanticIndex();
        _partition = SemanticIndex.PartitionOf("key:1", keys.Context, embedder.Name);

        var now = DateTimeOffset.UtcNow;
        var before = GC.GetTotalMemory(true);
        var entries = new List<CacheEntry>(Entries);
        for (var i = 0; i < Entries; i++)
        {
            // Four near neighbours ask the same about other day counts: above the threshold, refused by the gate.
            var near = i < 4;
            var nearPrompt = Question.Replace("60", (30 + i).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            var vector = (near, miniLm) switch
            {
                (true, null) => Near(_vector, random),
                (true, _) => miniLm.EmbedAsync(nearPrompt, default).AsTask().GetAwaiter().GetResult(),
                (false, null) => Unit(random),
                _ => real![i % real.Length],
            };
            entries.Add(new CacheEntry
            {
                Id = "ce_" + i,
                Namespace = "key:1",
                Fingerprint = "f" + i,
                Context = keys.Context,
                Prompt = near ? nearPrompt : realPrompts?[i % realPrompts.Length] ?? ExamplePrompts.Prompt(80 + (i % 40)),
                Vector = vector,
                Embedder = embedder.Name,
                Answer = "An answer.",
                Model = "sim/nano",
                Tier = "small",
                CreatedAt = now,
                ExpiresAt = now.AddDays(1),
            });
        }

        _stored = entries[5].Vector!;
        var built = GC.GetTotalMemory(true);
        _cache.Load(entries);
        var loaded = GC.GetTotalMemory(true);
        EntryBytes = (built - before) / Entries;
        CacheBytes = (loaded - built) / Entries;
        foreach (var entry in entries)
        {
            _index.Add(_partition, entry);
        }

        // Fits run on the thread pool as entries arrive; time the searches with the fit the index settles on.
        _index.RefitsAsync().GetAwaiter().GetResult();
        _cache.IndexRefitsAsync().GetAwaiter().GetResult();
        var snapshot = SnapshotCompiler.Compile(Config());
        _decision = snapshot.DecideAsync(_request).AsTask().GetAwaiter().GetResult();
        _caller = new CallerContext("req_bench", 1, now, 0, false);
        var lookup = Lookup();
        if (lookup.Level != CacheLevel.Miss || lookup.Reason?.StartsWith("content gate", StringComparison.Ordinal) != true || _cache.Counters.GateRefusals < 4)
        {
            throw new InvalidOperationException($"The miss path did not run as intended: {lookup.Level} {lookup.Reason}, {_cache.Counters.GateRefusals} refusals.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _request.Dispose();

    [Benchmark]
    public CacheLookup Lookup() => _cache.LookupAsync(_request, _caller, _decision, default).AsTask().GetAwaiter().GetResult()!;

    [Benchmark]
    public int Search() => _index.Search(_partition, _vector, 0.9, DateTimeOffset.UtcNow).Count;

    /// <summary>The search for a question already stored (entry 5's), whose neighbourhood is the densest the data has.</summary>
    [Benchmark]
    public int SearchStoredQuestion() => _index.Search(_partition, _stored, 0.9, DateTimeOffset.UtcNow).Count;

    private static float[] Unit(Random random)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return EmbeddingVectors.Normalise(vector);
    }

    private static float[] Near(float[] to, Random random)
    {
        var vector = new float[Dimensions];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = to[i] + (float)((random.NextDouble() * 2 - 1) * 0.01);
        }

        return EmbeddingVectors.Normalise(vector);
    }

    private static RoutingConfig Config() => BenchmarkCatalogue.Config();

    private sealed class FixedEmbedder(float[] vector) : IEmbedder
    {
        public string Name => "fixed";

        public bool Local => true;

        public ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken) => ValueTask.FromResult(vector);

        public ValueTask<IReadOnlyList<float[]>> EmbedManyAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<float[]>>([.. texts.Select(_ => vector)]);
    }

    private sealed class NoStore : ICacheStore
    {
        public void Added(CacheEntry entry)
        {
        }

        public void Hit(CacheEntry entry)
        {
        }

        public void Removed(IReadOnlyList<string> ids)
        {
        }
    }

    private sealed class PerCallConfig : ManualConfig
    {
        public PerCallConfig()
        {
            AddJob(Job.Default.WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(50).WithIterationCount(1000).WithId("per-call"));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max);
            AddDiagnoser(MemoryDiagnoser.Default);
        }
    }
}
