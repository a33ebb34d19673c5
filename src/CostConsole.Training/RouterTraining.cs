using System.Text.Json;
using CostConsole.Routing.Learning;

namespace CostConsole.Training;

/// <summary>A trained model with its held-out evaluation (also recorded inside the model as its metrics).</summary>
public sealed record TrainingResult(TrainedRouterModel Model, RouterEvaluation Evaluation, int TrainExamples, int HeldOutExamples);

/// <summary>Splits a labelled set, trains on one part and evaluates on the other: what the console, the API and the CLI run.</summary>
public static class RouterTraining
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <param name="published">The published router's tier index for a prompt, to compare on the same held-out examples.</param>
    public static TrainingResult Run(
        LabelledSet set,
        TrainingOptions options,
        double qualityTarget,
        DateTimeOffset now,
        IReadOnlyList<double>? relativeCosts = null,
        Func<LabelledPrompt, int>? published = null,
        IProgress<double>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var (train, test) = Split(set, options.HoldOut);
        if (train.Examples.Count == 0 || test.Examples.Count == 0)
        {
            throw new LabelledFileException(0, $"{set.Examples.Count} labelled prompts are too few to hold some out; give at least 10.");
        }

        var model = RouterTrainer.Train(train, options, now, progress, cancellationToken);
        var router = TrainedRouter.Compile(model, []) ?? throw new InvalidOperationException("The trainer produced a model that does not compile.");
        var evaluation = RouterEvaluator.Evaluate(router, test, qualityTarget, relativeCosts, published);
        var withMetrics = model with { Metrics = JsonSerializer.SerializeToElement(Summary(evaluation), JsonOptions) };
        return new TrainingResult(withMetrics, evaluation, train.Examples.Count, test.Examples.Count);
    }

    /// <summary>
    /// A deterministic split by a hash of the prompt text, so the same prompt always lands on the same side and
    /// duplicates cannot leak from training into the held-out part.
    /// </summary>
    public static (LabelledSet Train, LabelledSet Test) Split(LabelledSet set, double holdOut)
    {
        var fraction = Math.Clamp(holdOut, 0.05, 0.5);
        var train = new List<LabelledPrompt>();
        var test = new List<LabelledPrompt>();
        foreach (var example in set.Examples)
        {
            (Bucket(example.Prompt) < fraction ? test : train).Add(example);
        }

        return (set with { Examples = train }, set with { Examples = test });
    }

    /// <summary>The headline figures kept with a stored model.</summary>
    public static object Summary(RouterEvaluation evaluation) => new
    {
        evaluation.Examples,
        evaluation.Boundaries,
        Apgr = evaluation.GapRecovered?.Apgr,
        Cpt50 = evaluation.GapRecovered?.Cpt50,
        Cpt80 = evaluation.GapRecovered?.Cpt80,
        LengthBaselineApgr = evaluation.LengthBaselineGapRecovered?.Apgr,
        evaluation.Operating.QualityTarget,
        evaluation.Operating.Shares,
        evaluation.Operating.Quality,
        evaluation.Operating.LiftOverRandom,
    };

    private static double Bucket(string prompt)
    {
        var hash = 2166136261u;
        foreach (var c in prompt.Trim().ToLowerInvariant())
        {
            hash = (hash ^ c) * 16777619;
        }

        hash ^= hash >> 15;
        hash *= 0x2C1B3C6D;
        hash ^= hash >> 12;
        return (hash % 10_000) / 10_000.0;
    }
}
