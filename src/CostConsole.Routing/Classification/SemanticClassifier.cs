using System.Buffers;
using System.Globalization;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Classification;

/// <summary>One example prompt as compiled: the tier it stands for and how the trace quotes it.</summary>
internal sealed record SemanticExample(string Text, int Tier, string Quote);

/// <summary>
/// The semantic classifier's answer, and when it has no confident one, why not (e.g. "semantic: best 0.18 below
/// threshold 0.30"): the hybrid classifier then asks the LLM and quotes this.
/// </summary>
internal readonly record struct SemanticOutcome(ClassifierVerdict Verdict, string? Shortfall)
{
    public bool Confident => Shortfall is null;
}

/// <summary>
/// Nearest-example vote: the <c>k</c> most similar example prompts vote for their tier, weighted by similarity,
/// provided the nearest reaches the threshold. Score is the winning tier's share of the vote, or the best
/// similarity when it falls short.
/// </summary>
internal sealed class SemanticClassifier : ITierClassifier, IClassifierCounters
{
    private const int StackLimit = 512;

    private readonly SemanticExample[] _examples;
    private readonly int _neighbours;
    private readonly float _threshold;
    private readonly string _defaultTier;
    private readonly HashedTfIdfIndex? _index;
    private readonly EmbeddedExamples? _embedded;

    // Trace text is assembled from pieces built here, so a verdict costs one string.
    private readonly string[] _tiers;
    private readonly string[] _tierPrefixes;
    private readonly string _thresholdSuffix;
    private readonly string _shortfallSuffix;
    private readonly string _defaultSuffix;

    private SemanticClassifier(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier)
    {
        _examples = examples;
        _tiers = [.. tiers];
        _neighbours = Math.Clamp(neighbours, 1, Math.Max(1, examples.Length));
        _threshold = (float)threshold;
        _defaultTier = defaultTier;
        _tierPrefixes = [.. tiers.Select(t => $"semantic: {t} ")];
        _thresholdSuffix = string.Create(CultureInfo.InvariantCulture, $" ≥ threshold {threshold:0.00}");
        _shortfallSuffix = string.Create(CultureInfo.InvariantCulture, $" below threshold {threshold:0.00}");
        _defaultSuffix = "; default tier " + defaultTier;
    }

    private SemanticClassifier(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier, HashedTfIdfIndex index)
        : this(examples, tiers, neighbours, threshold, defaultTier) => _index = index;

    private SemanticClassifier(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier, EmbeddedExamples embedded)
        : this(examples, tiers, neighbours, threshold, defaultTier) => _embedded = embedded;

    public string Name => "semantic";

    public long ModelCalls => _embedded?.Calls ?? 0;

    public long UnparseableAnswers => 0;

    public long FailedCalls => _embedded?.Failures ?? 0;

    public int ExampleCount => _examples.Length;

    /// <summary>Vectorises every example now; a request only vectorises its prompt.</summary>
    public static SemanticClassifier WithHashedTfIdf(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier) =>
        new(examples, tiers, neighbours, threshold, defaultTier, new HashedTfIdfIndex([.. examples.Select(e => e.Text)]));

    /// <summary>Embeds the examples with <paramref name="model"/> on first use, once; each request embeds its prompt.</summary>
    public static SemanticClassifier WithEmbeddings(
        SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier, IModelInvoker invoker, RoutedModel model) =>
        new(examples, tiers, neighbours, threshold, defaultTier, new EmbeddedExamples(invoker, model, [.. examples.Select(e => e.Text)]));

    public ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var pending = EvaluateAsync(request.LastUserText, cancellationToken);
        return pending.IsCompletedSuccessfully
            ? ValueTask.FromResult(pending.Result.Verdict)
            : AwaitVerdictAsync(pending);

        static async ValueTask<ClassifierVerdict> AwaitVerdictAsync(ValueTask<SemanticOutcome> pending) => (await pending.ConfigureAwait(false)).Verdict;
    }

    /// <summary>Completes synchronously with the offline vectoriser.</summary>
    internal ValueTask<SemanticOutcome> EvaluateAsync(string text, CancellationToken cancellationToken)
    {
        if (_index is not null)
        {
            return ValueTask.FromResult(EvaluateOffline(text));
        }

        return string.IsNullOrWhiteSpace(text)
            ? ValueTask.FromResult(Vote([]))
            : EvaluateEmbeddedAsync(text, cancellationToken);
    }

    private SemanticOutcome EvaluateOffline(string text)
    {
        float[]? rented = null;
        var similarities = _examples.Length <= StackLimit
            ? stackalloc float[_examples.Length]
            : (rented = ArrayPool<float>.Shared.Rent(_examples.Length)).AsSpan(0, _examples.Length);
        try
        {
            _index!.Score(text, similarities);
            return Vote(similarities);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    private async ValueTask<SemanticOutcome> EvaluateEmbeddedAsync(string text, CancellationToken cancellationToken)
    {
        var embedded = _embedded!;
        var examples = await embedded.ExampleVectorsAsync(cancellationToken).ConfigureAwait(false);
        if (!examples.IsSuccess)
        {
            return Failed(embedded.Model, examples.Error);
        }

        var query = await embedded.EmbedAsync(text, cancellationToken).ConfigureAwait(false);
        if (!query.IsSuccess)
        {
            return Failed(embedded.Model, query.Error);
        }

        var similarities = ArrayPool<float>.Shared.Rent(_examples.Length);
        try
        {
            var vector = query.Vectors[0];
            for (var e = 0; e < _examples.Length; e++)
            {
                similarities[e] = EmbeddedExamples.Dot(vector, examples.Vectors[e]);
            }

            return Vote(similarities.AsSpan(0, _examples.Length));
        }
        finally
        {
            ArrayPool<float>.Shared.Return(similarities);
        }
    }

    private SemanticOutcome Failed(RoutedModel model, string? error)
    {
        var shortfall = $"semantic: embeddings model {model.Model.Id} failed ({error})";
        return new SemanticOutcome(new ClassifierVerdict(_defaultTier, null, shortfall + _defaultSuffix), shortfall);
    }

    private SemanticOutcome Vote(ReadOnlySpan<float> similarities)
    {
        // The k nearest, best first, by insertion: k and the example count are both small.
        var k = _neighbours;
        Span<int> nearest = k <= StackLimit ? stackalloc int[k] : new int[k];
        var found = 0;
        for (var e = 0; e < similarities.Length; e++)
        {
            var similarity = similarities[e];
            if (!(similarity > 0) || (found == k && similarity <= similarities[nearest[k - 1]]))
            {
                continue;
            }

            var at = found < k ? found++ : k - 1;
            while (at > 0 && similarities[nearest[at - 1]] < similarity)
            {
                nearest[at] = nearest[at - 1];
                at--;
            }

            nearest[at] = e;
        }

        var best = found == 0 ? 0f : similarities[nearest[0]];
        if (found == 0 || best < _threshold)
        {
            var shortfall = string.Create(CultureInfo.InvariantCulture, stackalloc char[96], $"semantic: best {best:0.00}{_shortfallSuffix}");
            return new SemanticOutcome(new ClassifierVerdict(_defaultTier, Math.Round(best, 4), shortfall + _defaultSuffix), shortfall);
        }

        Span<float> votes = stackalloc float[_tiers.Length];
        var total = 0f;
        for (var i = 0; i < found; i++)
        {
            var similarity = similarities[nearest[i]];
            votes[_examples[nearest[i]].Tier] += similarity;
            total += similarity;
        }

        // Ties go to the tier of the nearest example.
        var winner = _examples[nearest[0]].Tier;
        for (var t = 0; t < votes.Length; t++)
        {
            if (votes[t] > votes[winner])
            {
                winner = t;
            }
        }

        var share = votes[winner] / total;
        var reason = string.Create(
            CultureInfo.InvariantCulture,
            stackalloc char[256],
            $"{_tierPrefixes[winner]}{share:0.00} (nearest: {_examples[nearest[0]].Quote} {best:0.00}){_thresholdSuffix}");
        return new SemanticOutcome(new ClassifierVerdict(_tiers[winner], Math.Round(share, 4), reason), null);
    }

    /// <summary>Example embeddings, fetched once on first use and kept; a failed fetch is retried by the next request.</summary>
    private sealed class EmbeddedExamples
    {
        private readonly IModelInvoker _invoker;
        private readonly string[] _texts;
        private Lazy<Task<EmbeddingReply>> _examples;
        private long _calls;
        private long _failures;

        public EmbeddedExamples(IModelInvoker invoker, RoutedModel model, string[] texts)
        {
            _invoker = invoker;
            _texts = texts;
            Model = model;
            _examples = new(FetchExamples);
        }

        public RoutedModel Model { get; }

        public long Calls => Interlocked.Read(ref _calls);

        public long Failures => Interlocked.Read(ref _failures);

        public async Task<EmbeddingReply> ExampleVectorsAsync(CancellationToken cancellationToken)
        {
            // An earlier fetch that failed is tried again, once, by whichever request comes next.
            var current = Volatile.Read(ref _examples);
            if (current.IsValueCreated && current.Value.IsCompleted && !current.Value.Result.IsSuccess)
            {
                Interlocked.CompareExchange(ref _examples, new Lazy<Task<EmbeddingReply>>(FetchExamples), current);
                current = Volatile.Read(ref _examples);
            }

            // The shared fetch is not tied to one request, so a cancelled request leaves it running for the next.
            return await current.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        public Task<EmbeddingReply> EmbedAsync(string text, CancellationToken cancellationToken) =>
            CallAsync([text], cancellationToken);

        /// <summary>Cosine similarity of two normalised vectors; vectors of another model's size are not similar at all.</summary>
        public static float Dot(float[] a, float[] b)
        {
            if (a.Length != b.Length)
            {
                return 0f;
            }

            var sum = 0f;
            for (var i = 0; i < a.Length; i++)
            {
                sum += a[i] * b[i];
            }

            return sum;
        }

        private Task<EmbeddingReply> FetchExamples() => CallAsync(_texts, CancellationToken.None);

        private async Task<EmbeddingReply> CallAsync(IReadOnlyList<string> inputs, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            EmbeddingReply reply;
            try
            {
                reply = await _invoker.EmbedAsync(Model, inputs, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                reply = EmbeddingReply.Failed(UpstreamFailure.ServerError, ex.Message);
            }

            if (reply.IsSuccess && reply.Vectors.Count != inputs.Count)
            {
                reply = EmbeddingReply.Failed(UpstreamFailure.ServerError, $"{reply.Vectors.Count} vectors came back for {inputs.Count} inputs");
            }

            if (!reply.IsSuccess)
            {
                Interlocked.Increment(ref _failures);
                return reply;
            }

            foreach (var vector in reply.Vectors)
            {
                var norm = MathF.Sqrt(vector.Sum(v => v * v));
                if (norm > 0)
                {
                    for (var i = 0; i < vector.Length; i++)
                    {
                        vector[i] /= norm;
                    }
                }
            }

            return reply;
        }
    }
}
