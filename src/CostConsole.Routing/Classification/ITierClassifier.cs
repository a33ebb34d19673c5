using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Classification;

/// <summary>
/// The classifier's answer for a request no rule caught, with what the trace shows of it. <see cref="Score"/> is the
/// classifier's confidence where it has one (the semantic classifier's vote share or best similarity), else null.
/// </summary>
public readonly record struct ClassifierVerdict(string Tier, double? Score, string Reason);

/// <summary>Decides the tier of a request that no rule caught. Implementations are immutable parts of a snapshot.</summary>
public interface ITierClassifier
{
    string Name { get; }

    ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// What a classifier that calls a model has counted since its rule set was compiled, for the host to show.
/// Counts start again at zero when a new snapshot is published.
/// </summary>
public interface IClassifierCounters
{
    /// <summary>Calls made to the classifier's model (LLM completions or embeddings).</summary>
    long ModelCalls { get; }

    /// <summary>LLM answers that were not one of the labels; each sent its request to the default tier.</summary>
    long UnparseableAnswers { get; }

    /// <summary>Calls that failed upstream (error, timeout, unreachable); each sent its request to the default tier.</summary>
    long FailedCalls { get; }
}

/// <summary>What the console shows of a live classifier that compares prompts with example prompts.</summary>
public interface IVectorisedClassifier
{
    /// <summary>The vectoriser, as the trace names it: "MiniLM", "TF-IDF" or "embeddings model …".</summary>
    string Vectoriser { get; }

    int ExampleCount { get; }

    /// <summary>Why the example prompts have no vectors yet (the model could not be loaded or called), or null.</summary>
    string? ExampleError { get; }
}

/// <summary>
/// A classifier that compares prompts with example prompts and answers only when the nearest is similar enough:
/// it says, for a prompt, what it would answer at every threshold, so a threshold can be chosen from a labelled set.
/// </summary>
public interface IThresholdProbe
{
    /// <summary>The similarity the nearest example must reach for the examples to decide.</summary>
    double Threshold { get; }

    /// <summary>The nearest examples' vote for <paramref name="request"/>, ignoring the threshold.</summary>
    /// <exception cref="Embeddings.EmbeddingException">The prompt or the examples could not be vectorised.</exception>
    ValueTask<NearestExamples> NearestAsync(ChatRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// The tier the nearest examples vote for (null when no example is similar at all) and the nearest example's
/// similarity: at a threshold up to <see cref="Similarity"/> the examples decide <see cref="Tier"/>; above it they do not.
/// </summary>
public readonly record struct NearestExamples(string? Tier, double Similarity);

/// <summary>Sends every uncaught request to the rule set's default tier.</summary>
internal sealed class DefaultTierClassifier(string tier) : ITierClassifier
{
    private readonly ClassifierVerdict _verdict = new(tier, null, $"default tier {tier}");

    public string Name => "default-tier";

    public ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(_verdict);
}
