using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using CostConsole.Embeddings;
using CostConsole.Training;

namespace CostConsole.Benchmarks.Routing;

/// <summary>
/// <c>learners DIR [--train N]</c>: the shipped default's learner against k-nearest-neighbours on MiniLM embeddings, on
/// the same held-out 20 % of the permissively licensed routing-train set (the split the shipped model reports). For
/// each tier boundary, the AUROC of "is this tier enough?" from each learner and from prompt length alone, and what one
/// decision costs. kNN reads the <c>--train</c> newest-in-order training prompts (default 15,000), to keep the run short.
/// </summary>
internal static class LearnerComparison
{
    private const int Neighbours = 20;

    public static void Run(string[] args)
    {
        if (args is not [var directory, ..])
        {
            Console.Error.WriteLine("Usage: learners <routing-train folder> [--train 15000]");
            return;
        }

        var trainLimit = args.SkipWhile(a => a != "--train").Skip(1).FirstOrDefault() is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : 15_000;
        var set = DefaultTrainingSet.Load(directory);
        var (train, test) = RouterTraining.Split(set, 0.2);
        Console.WriteLine($"{set.Examples.Count:N0} labelled prompts: {train.Examples.Count:N0} to train, {test.Examples.Count:N0} held out.");

        // The shipped learner: hashed n-grams and structure, a logistic regression per tier.
        var started = Stopwatch.GetTimestamp();
        var result = RouterTraining.Run(set, new TrainingOptions { Name = "compare", HoldOut = 0.2 }, 0.9, DateTimeOffset.UtcNow);
        Console.WriteLine($"Logistic regression trained in {Stopwatch.GetElapsedTime(started).TotalSeconds:0.0} s.");

        // kNN on MiniLM: a similarity-weighted vote of the nearest training prompts on "was this tier enough?".
        var embedder = new MiniLmEmbedder(new MiniLmOptions());
        if (embedder.Load() is { } failure)
        {
            Console.Error.WriteLine("MiniLM could not be loaded: " + failure);
            return;
        }

        var stride = Math.Max(1, train.Examples.Count / trainLimit);
        var neighbours = train.Examples.Where((_, i) => i % stride == 0).Take(trainLimit).ToList();
        started = Stopwatch.GetTimestamp();
        var trainVectors = neighbours.Select(e => embedder.EmbedAsync(e.Prompt, CancellationToken.None).AsTask().Result).ToArray();
        var testVectors = test.Examples.Select(e => embedder.EmbedAsync(e.Prompt, CancellationToken.None).AsTask().Result).ToArray();
        var embedSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var perEmbedding = embedSeconds * 1000 / (trainVectors.Length + testVectors.Length);
        Console.WriteLine($"Embedded {trainVectors.Length + testVectors.Length:N0} prompts in {embedSeconds:0.0} s ({perEmbedding:0.00} ms each).");

        var tiers = set.Tiers.Count;
        var cheapest = neighbours.Select(e => e.CheapestAcceptable()).ToArray();
        started = Stopwatch.GetTimestamp();
        var knn = new double[test.Examples.Count][];
        var similarities = new float[trainVectors.Length];
        for (var i = 0; i < testVectors.Length; i++)
        {
            for (var j = 0; j < trainVectors.Length; j++)
            {
                similarities[j] = TensorPrimitives.Dot(testVectors[i], trainVectors[j]);
            }

            var nearest = Enumerable.Range(0, similarities.Length).OrderByDescending(j => similarities[j]).Take(Neighbours).ToArray();
            var total = nearest.Sum(j => Math.Max(similarities[j], 0f)) + 1e-9;
            knn[i] = [.. Enumerable.Range(0, tiers).Select(t => nearest.Where(j => cheapest[j] <= t).Sum(j => Math.Max(similarities[j], 0f)) / total)];
        }

        var scanMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds / testVectors.Length;
        Console.WriteLine($"Nearest-neighbour scan over {trainVectors.Length:N0} prompts: {scanMs:0.00} ms per decision.");
        Console.WriteLine();
        Console.WriteLine("| Boundary | Logistic regression (n-grams + structure) | kNN on MiniLM (k = 20) | Prompt length alone |");
        Console.WriteLine("|---|---:|---:|---:|");
        for (var t = 0; t < tiers - 1; t++)
        {
            var rows = Enumerable.Range(0, test.Examples.Count).Where(i => test.Examples[i].Quality[t] is not null).ToArray();
            var labels = rows.Select(i => test.Examples[i].Quality[t] >= 0.5).ToArray();
            var knnAuroc = RouterMetrics.Auroc([.. rows.Select(i => knn[i][t])], labels);
            var boundary = result.Evaluation.Boundaries[t];
            Console.WriteLine($"| {boundary.Boundary} | {boundary.Auroc:0.000} | {knnAuroc:0.000} | {boundary.LengthBaselineAuroc:0.000} |");
        }

        Console.WriteLine();
        Console.WriteLine($"One kNN decision costs an embedding ({perEmbedding:0.00} ms) and a scan ({scanMs:0.00} ms); the logistic regression needs neither.");
    }
}
