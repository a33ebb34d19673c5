using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using CostConsole.Embeddings;

namespace CostConsole.Benchmarks.Embeddings;

/// <summary>
/// One MiniLM embedding at batch 1 on one intra-op thread, per call (invocation count 1, so the percentiles are per
/// call), for 50-, 500- and 2,000-character prompts and the word-piece limits 64 (the default) and 256 (the model's window).
/// </summary>
[Config(typeof(Config))]
public class EmbeddingBenchmarks
{
    private MiniLmEmbedder _embedder = null!;
    private string _prompt = "";

    [Params(50, 500, 2000)]
    public int PromptLength { get; set; }

    [Params(64, 256)]
    public int MaxTokens { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _embedder = new MiniLmEmbedder(new MiniLmOptions { MaxTokens = MaxTokens, IntraOpThreads = 1 });
        _prompt = ExamplePrompts.Prompt(PromptLength);
        if (_embedder.Load() is { } error)
        {
            throw new InvalidOperationException(error);
        }
    }

    [Benchmark]
    public float[] Embed() => _embedder.EmbedAsync(_prompt, default).Result;

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddJob(Job.Default.WithInvocationCount(1).WithUnrollFactor(1).WithWarmupCount(30).WithIterationCount(300).WithId("per-call"));
            AddColumn(StatisticColumn.P50, StatisticColumn.P95, new PercentileColumn(99), StatisticColumn.Max);
            AddDiagnoser(MemoryDiagnoser.Default);
        }
    }
}
