using BenchmarkDotNet.Running;
using CostConsole.Benchmarks.Routing;

// "latency" times single routing decisions (true per-call percentiles); "embedding" single MiniLM embeddings and
// semantic decisions; anything else goes to BenchmarkDotNet.
if (args is ["latency", ..])
{
    DecisionLatency.Run();
    return;
}

// "affinity [N]" runs N conversations (default 200) through the simulator with and without conversation affinity.
if (args is ["affinity", .. var affinityOptions])
{
    await AffinityWorkload.RunAsync(affinityOptions);
    return;
}

// "tokens" reads the CPU one request body costs before routing, at 1 MiB and at the 4 MiB limit.
if (args is ["tokens", ..])
{
    TokenCountingCpu.Run();
    return;
}

// "privacy" times single personal-data scans of a 2,000-character prompt (true per-call percentiles).
if (args is ["privacy", ..])
{
    CostConsole.Benchmarks.Privacy.PersonalDataLatency.Run();
    return;
}

// "cache [N] [minilm]" times the response cache's miss path per call at 10,000 and 100,000 entries: random unit
// vectors, or with "minilm" real MiniLM embeddings of distinct support questions (embedded once, kept in a temp file).
if (args is ["cache", .. var cacheOptions])
{
    CostConsole.Benchmarks.CacheMissLatency.Run(
        cacheOptions is [var count, ..] ? int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) : 500,
        realEmbeddings: cacheOptions.Contains("minilm"));
    return;
}

// "learners DIR" compares the shipped learner with kNN on MiniLM embeddings on the default set's held-out split.
if (args is ["learners", .. var learnerOptions])
{
    LearnerComparison.Run(learnerOptions);
    return;
}

// "stages [N]" breaks a whole /v1/chat/completions request down into CPU and allocations per stage.
if (args is ["stages", .. var stageOptions])
{
    await CostConsole.Benchmarks.Gateway.StageBreakdown.RunAsync(stageOptions);
    return;
}

// "decisions [N]" times the shipped default router's decisions over the sample CRM workload.
if (args is ["decisions", .. var decisionOptions])
{
    await CostConsole.Benchmarks.Gateway.WorkloadDecisions.RunAsync(decisionOptions);
    return;
}

// "stages-loop [N]" sends N whole requests and nothing else, for a profiler to sample.
if (args is ["stages-loop", .. var loopOptions])
{
    await CostConsole.Benchmarks.Gateway.StageBreakdown.LoopAsync(loopOptions);
    return;
}

if (args is ["embedding", .. var options])
{
    CostConsole.Benchmarks.Embeddings.EmbeddingLatency.Run(options);
    return;
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
