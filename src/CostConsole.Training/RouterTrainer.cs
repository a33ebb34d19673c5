using CostConsole.Routing.Learning;

namespace CostConsole.Training;

public sealed record TrainingOptions
{
    public string Name { get; init; } = "trained";

    public int Version { get; init; } = 1;

    public int HashBits { get; init; } = TrainedRouterModel.DefaultHashBits;

    public int Epochs { get; init; } = 6;

    public double LearningRate { get; init; } = 0.2;

    /// <summary>L2 penalty per update on the weights an example touches.</summary>
    public double L2 { get; init; } = 1e-6;

    /// <summary>The share of examples held out for the metrics (0.05–0.5).</summary>
    public double HoldOut { get; init; } = 0.2;

    public int Seed { get; init; } = 13;
}

/// <summary>
/// Logistic regression per tier, in plain code: AdaGrad over the hashed n-grams and structure features with a
/// small L2 penalty, soft labels (a 0–1 score trains as it is). Deterministic for a given seed and data, and
/// fast enough to train tens of thousands of prompts in seconds on one core.
/// </summary>
public static class RouterTrainer
{
    public const string Learner = "logistic regression per tier (AdaGrad, L2), hashed word 1–2-grams + char 4-grams + 14 structure features";

    /// <param name="progress">Receives 0..1 as training advances.</param>
    public static TrainedRouterModel Train(LabelledSet set, TrainingOptions options, DateTimeOffset now, IProgress<double>? progress = null, CancellationToken cancellationToken = default)
    {
        var vectors = set.Examples.Select(e => Vectorise(e, options.HashBits)).ToArray();
        var heads = new TierHead[set.Tiers.Count];
        for (var t = 0; t < set.Tiers.Count; t++)
        {
            var done = t;
            heads[t] = TrainHead(set, vectors, t, options, fraction => progress?.Report((done + fraction) / set.Tiers.Count), cancellationToken);
        }

        progress?.Report(1);
        return new TrainedRouterModel
        {
            Name = options.Name,
            Version = options.Version,
            TrainedAt = now,
            HashBits = options.HashBits,
            Tiers = heads,
            Summary = new TrainingSummary
            {
                Source = set.Source,
                Examples = set.Examples.Count,
                CheapestAcceptable = set.CheapestAcceptableCounts(),
                Learner = Learner,
            },
        };
    }

    internal static Vector Vectorise(LabelledPrompt example, int hashBits)
    {
        var (indices, values, structure) = PromptFeatures.Extract(example.Prompt, example.UserTurns, example.HasTools, hashBits);
        return new Vector(indices, values, structure);
    }

    private static TierHead TrainHead(LabelledSet set, Vector[] vectors, int tier, TrainingOptions options, Action<double> progress, CancellationToken cancellationToken)
    {
        var name = set.Tiers[tier];
        var rows = Enumerable.Range(0, vectors.Length).Where(i => set.Examples[i].Quality[tier] is not null).ToArray();
        if (rows.Length == 0)
        {
            return new TierHead { Tier = name, Constant = 1 };
        }

        var labels = rows.Select(i => set.Examples[i].Quality[tier]!.Value).ToArray();
        if (labels.All(l => l >= 0.999) || labels.All(l => l <= 0.001))
        {
            return new TierHead { Tier = name, Constant = Math.Round(labels.Average(), 3) };
        }

        var dimensions = 1 << options.HashBits;
        var hashed = new float[dimensions];
        var hashedSquares = new float[dimensions];
        var structure = new float[PromptFeatures.StructureCount];
        var structureSquares = new float[PromptFeatures.StructureCount];
        var bias = 0.0;
        var biasSquares = 0.0;
        var rate = options.LearningRate;
        var l2 = (float)options.L2;
        var random = new Random(options.Seed + tier);
        var order = Enumerable.Range(0, rows.Length).ToArray();
        for (var epoch = 0; epoch < options.Epochs; epoch++)
        {
            random.Shuffle(order);
            for (var n = 0; n < order.Length; n++)
            {
                if ((n & 1023) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }

                var row = order[n];
                var vector = vectors[rows[row]];
                var z = bias;
                for (var i = 0; i < vector.Structure.Length; i++)
                {
                    z += structure[i] * vector.Structure[i];
                }

                for (var i = 0; i < vector.Indices.Length; i++)
                {
                    z += hashed[vector.Indices[i]] * vector.Values[i];
                }

                var p = 1.0 / (1.0 + Math.Exp(-z));
                var g = (p - labels[row]) * set.Examples[rows[row]].Weight;
                biasSquares += g * g;
                bias -= rate * g / (Math.Sqrt(biasSquares) + 1e-8);
                for (var i = 0; i < vector.Structure.Length; i++)
                {
                    var gi = (float)(g * vector.Structure[i]) + (l2 * structure[i]);
                    structureSquares[i] += gi * gi;
                    structure[i] -= (float)(rate * gi / (Math.Sqrt(structureSquares[i]) + 1e-8));
                }

                for (var i = 0; i < vector.Indices.Length; i++)
                {
                    var d = vector.Indices[i];
                    var gi = (float)(g * vector.Values[i]) + (l2 * hashed[d]);
                    hashedSquares[d] += gi * gi;
                    hashed[d] -= (float)(rate * gi / (Math.Sqrt(hashedSquares[d]) + 1e-8));
                }
            }

            progress((epoch + 1.0) / options.Epochs);
        }

        return new TierHead { Tier = name, Bias = (float)bias, Structure = structure, Hashed = hashed };
    }

    internal sealed record Vector(int[] Indices, float[] Values, float[] Structure);
}
