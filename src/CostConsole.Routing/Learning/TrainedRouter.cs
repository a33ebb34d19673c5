namespace CostConsole.Routing.Learning;

/// <summary>
/// A <see cref="TrainedRouterModel"/> ready to score prompts: the probability, per tier, that the tier's answer
/// is acceptable. Immutable and thread-safe; scoring allocates nothing but reuses one scratch buffer per thread.
/// </summary>
public sealed class TrainedRouter
{
    [ThreadStatic]
    private static FeatureBuffer? t_buffer;

    private readonly int _hashBits;
    private readonly Head[] _heads;

    private TrainedRouter(TrainedRouterModel model, Head[] heads)
    {
        Model = model;
        _hashBits = model.HashBits;
        _heads = heads;
        Tiers = [.. model.Tiers.Select(t => t.Tier)];
    }

    public TrainedRouterModel Model { get; }

    /// <summary>The model's tiers, cheapest first; <see cref="Score"/> writes one probability per tier in this order.</summary>
    public IReadOnlyList<string> Tiers { get; }

    /// <summary>Checks the model's shape and compiles it; returns null and adds the reasons to <paramref name="errors"/> when it cannot be used.</summary>
    public static TrainedRouter? Compile(TrainedRouterModel model, List<string> errors, string label = "Trained model")
    {
        var before = errors.Count;
        if (model.Format != TrainedRouterModel.CurrentFormat)
        {
            errors.Add($"{label} '{model.Reference}' is in format {model.Format}; this version reads format {TrainedRouterModel.CurrentFormat}. Train it again.");
            return null;
        }

        if (model.HashBits is < 8 or > 24)
        {
            errors.Add($"{label} '{model.Reference}': hash bits {model.HashBits} is out of range (8 to 24).");
            return null;
        }

        if (model.Tiers.Count == 0)
        {
            errors.Add($"{label} '{model.Reference}' has no tier.");
        }

        var heads = new Head[model.Tiers.Count];
        for (var i = 0; i < model.Tiers.Count; i++)
        {
            var head = model.Tiers[i];
            if (head.Constant is { } constant)
            {
                heads[i] = new Head(Math.Clamp(constant, 0, 1), 0, [], []);
                continue;
            }

            if (head.Structure.Length != PromptFeatures.StructureCount || head.Hashed.Length != 1 << model.HashBits)
            {
                errors.Add($"{label} '{model.Reference}': tier '{head.Tier}' has {head.Structure.Length} structure and {head.Hashed.Length} hashed weights; expected {PromptFeatures.StructureCount} and {1 << model.HashBits}.");
                continue;
            }

            heads[i] = new Head(null, head.Bias, head.Structure, head.Hashed);
        }

        return errors.Count > before ? null : new TrainedRouter(model, heads);
    }

    /// <summary>Writes, for each of <see cref="Tiers"/>, the probability that the tier's answer to this prompt is acceptable.</summary>
    public void Score(ReadOnlySpan<char> text, int userTurns, bool hasTools, Span<double> probabilities)
    {
        var buffer = t_buffer ??= new FeatureBuffer();
        Span<float> structure = stackalloc float[PromptFeatures.StructureCount];
        var count = PromptFeatures.Extract(text, userTurns, hasTools, _hashBits, buffer, structure);
        var indices = buffer.Indices.AsSpan(0, count);
        var values = buffer.Values.AsSpan(0, count);
        for (var h = 0; h < _heads.Length; h++)
        {
            var head = _heads[h];
            if (head.Constant is { } constant)
            {
                probabilities[h] = constant;
                continue;
            }

            var z = head.Bias;
            var weights = head.Structure;
            for (var i = 0; i < structure.Length; i++)
            {
                z += weights[i] * structure[i];
            }

            var hashed = head.Hashed;
            for (var i = 0; i < indices.Length; i++)
            {
                z += hashed[indices[i]] * values[i];
            }

            probabilities[h] = 1.0 / (1.0 + Math.Exp(-z));
        }
    }

    public double[] Score(string text, int userTurns = 1, bool hasTools = false)
    {
        var result = new double[_heads.Length];
        Score(text, userTurns, hasTools, result);
        return result;
    }

    private sealed record Head(double? Constant, float Bias, float[] Structure, float[] Hashed);
}
