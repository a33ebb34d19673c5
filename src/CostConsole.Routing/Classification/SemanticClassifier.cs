using System.Buffers;
using System.Globalization;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Classification;

/// <summary>One example prompt as compiled: the tier it stands for and how the trace quotes it.</summary>
internal sealed record SemanticExample(string Text, int Tier, string Quote);

/// <summary>
/// The semantic classifier's answer, and when it has no confident one, why not (e.g. "semantic (MiniLM): nearest similarity 0.18 below
/// threshold 0.30"): the hybrid classifier then asks the LLM and quotes this. <see cref="Nearest"/> is the nearest
/// example's similarity; <see cref="Voted"/> the tier the nearest examples vote for whatever the threshold (null when
/// no example is similar at all, or the vectoriser failed, <see cref="Error"/>).
/// </summary>
internal readonly record struct SemanticOutcome(ClassifierVerdict Verdict, string? Shortfall, float Nearest = 0, string? Voted = null, string? Error = null)
{
    public bool Confident => Shortfall is null;
}

/// <summary>
/// Nearest-example vote: the <c>k</c> most similar example prompts vote for their tier, weighted by similarity,
/// provided the nearest reaches the threshold. Score is the winning tier's share of the vote, or the best
/// similarity when it falls short. Prompts become vectors either by the in-process hashed TF-IDF index, or by an
/// <see cref="IEmbedder"/> (MiniLM, an embeddings model) whose example vectors are computed once per snapshot.
/// </summary>
internal sealed class SemanticClassifier : ITierClassifier, IClassifierCounters, IVectorisedClassifier, IThresholdProbe
{
    public const string TfIdfName = "TF-IDF";

    private const int StackLimit = 512;

    private readonly SemanticExample[] _examples;
    private readonly int _neighbours;
    private readonly float _threshold;
    private readonly string _defaultTier;
    private readonly HashedTfIdfIndex? _index;
    private readonly ExampleVectors? _embedded;
    private long _calls;
    private long _failures;

    // Trace text is assembled from pieces built here, so a verdict costs one string.
    private readonly string[] _tiers;
    private readonly string _label;
    private readonly string[] _tierPrefixes;
    private readonly string _thresholdSuffix;
    private readonly string _shortfallSuffix;
    private readonly string _defaultSuffix;

    private SemanticClassifier(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier, string vectoriser)
    {
        _examples = examples;
        _tiers = [.. tiers];
        _neighbours = Math.Clamp(neighbours, 1, Math.Max(1, examples.Length));
        _threshold = (float)threshold;
        Threshold = threshold;
        _defaultTier = defaultTier;
        Vectoriser = vectoriser;
        _label = $"semantic ({vectoriser})";
        _tierPrefixes = [.. tiers.Select(t => $"{_label}: {t} by vote share ")];
        _thresholdSuffix = string.Create(CultureInfo.InvariantCulture, $" ≥ threshold {threshold:0.00}");
        _shortfallSuffix = string.Create(CultureInfo.InvariantCulture, $" below threshold {threshold:0.00}");
        _defaultSuffix = "; default tier " + defaultTier;
    }

    private SemanticClassifier(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier, HashedTfIdfIndex index)
        : this(examples, tiers, neighbours, threshold, defaultTier, TfIdfName) => _index = index;

    private SemanticClassifier(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier, IEmbedder embedder)
        : this(examples, tiers, neighbours, threshold, defaultTier, embedder.Name) => _embedded = new ExampleVectors(this, embedder, [.. examples.Select(e => e.Text)]);

    public string Name => "semantic";

    /// <summary>The vectoriser's name as the trace shows it: "TF-IDF", "MiniLM", "embeddings model …".</summary>
    public string Vectoriser { get; }

    public long ModelCalls => _embedded is null ? 0 : Interlocked.Read(ref _calls);

    public long UnparseableAnswers => 0;

    public long FailedCalls => Interlocked.Read(ref _failures);

    public int ExampleCount => _examples.Length;

    public string? ExampleError => _embedded?.Error;

    public double Threshold { get; }

    public async ValueTask<NearestExamples> NearestAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var outcome = await EvaluateAsync(request, cancellationToken).ConfigureAwait(false);
        if (outcome.Error is { } error)
        {
            throw new EmbeddingException(error);
        }

        return new NearestExamples(outcome.Voted, Math.Round(outcome.Nearest, 4));
    }

    /// <summary>Vectorises every example now; a request only vectorises its prompt.</summary>
    public static SemanticClassifier WithHashedTfIdf(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier) =>
        new(examples, tiers, neighbours, threshold, defaultTier, new HashedTfIdfIndex([.. examples.Select(e => e.Text)]));

    /// <summary>
    /// Embeds the examples with <paramref name="embedder"/>: now when it is local (MiniLM: at publish), else on first
    /// use, once. Each request embeds its prompt at most once (<see cref="ChatRequest.EmbeddingAsync"/>).
    /// </summary>
    public static SemanticClassifier WithEmbedder(SemanticExample[] examples, IReadOnlyList<string> tiers, int neighbours, double threshold, string defaultTier, IEmbedder embedder) =>
        new(examples, tiers, neighbours, threshold, defaultTier, embedder);

    public ValueTask<ClassifierVerdict> ClassifyAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var pending = EvaluateAsync(request, cancellationToken);
        return pending.IsCompletedSuccessfully
            ? ValueTask.FromResult(pending.Result.Verdict)
            : AwaitVerdictAsync(pending);

        static async ValueTask<ClassifierVerdict> AwaitVerdictAsync(ValueTask<SemanticOutcome> pending) => (await pending.ConfigureAwait(false)).Verdict;
    }

    /// <summary>Completes synchronously with the offline vectoriser, and with a local embedder once its example vectors exist.</summary>
    internal ValueTask<SemanticOutcome> EvaluateAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        var text = request.LastUserText;
        if (_index is not null)
        {
            return ValueTask.FromResult(EvaluateOffline(text));
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return ValueTask.FromResult(Vote([]));
        }

        var embedded = _embedded!;
        if (embedded.Ready is { } examples)
        {
            Interlocked.Increment(ref _calls);
            var query = request.EmbeddingAsync(embedded.Embedder, cancellationToken);
            if (query.IsCompletedSuccessfully)
            {
                return ValueTask.FromResult(Score(query.Result, examples));
            }

            return AwaitQueryAsync(query, examples);
        }

        return EvaluateEmbeddedAsync(request, cancellationToken);
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

    private async ValueTask<SemanticOutcome> EvaluateEmbeddedAsync(ChatRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyList<float[]> examples;
        try
        {
            examples = await _embedded!.VectorsAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (EmbeddingException ex)
        {
            return Failed(ex.Message);
        }

        Interlocked.Increment(ref _calls);
        return await AwaitQueryAsync(request.EmbeddingAsync(_embedded.Embedder, cancellationToken), examples).ConfigureAwait(false);
    }

    private async ValueTask<SemanticOutcome> AwaitQueryAsync(ValueTask<float[]> query, IReadOnlyList<float[]> examples)
    {
        try
        {
            return Score(await query.ConfigureAwait(false), examples);
        }
        catch (EmbeddingException ex)
        {
            Interlocked.Increment(ref _failures);
            return Failed(ex.Message);
        }
    }

    private SemanticOutcome Score(float[] query, IReadOnlyList<float[]> examples)
    {
        float[]? rented = null;
        var similarities = _examples.Length <= StackLimit
            ? stackalloc float[_examples.Length]
            : (rented = ArrayPool<float>.Shared.Rent(_examples.Length)).AsSpan(0, _examples.Length);
        try
        {
            for (var e = 0; e < similarities.Length; e++)
            {
                similarities[e] = EmbeddingVectors.Dot(query, examples[e]);
            }

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

    private SemanticOutcome Failed(string error)
    {
        var shortfall = $"{_label}: failed ({error})";
        return new SemanticOutcome(new ClassifierVerdict(_defaultTier, null, shortfall + _defaultSuffix), shortfall, Error: error);
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
        if (found == 0)
        {
            return BelowThreshold(best, null);
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

        if (best < _threshold)
        {
            return BelowThreshold(best, _tiers[winner]);
        }

        var share = votes[winner] / total;
        var reason = string.Create(
            CultureInfo.InvariantCulture,
            stackalloc char[256],
            $"{_tierPrefixes[winner]}{share:0.00}; nearest example {_examples[nearest[0]].Quote}, similarity {best:0.00}{_thresholdSuffix}");
        return new SemanticOutcome(new ClassifierVerdict(_tiers[winner], Math.Round(share, 4), reason), null, best, _tiers[winner]);
    }

    private SemanticOutcome BelowThreshold(float best, string? voted)
    {
        var shortfall = string.Create(CultureInfo.InvariantCulture, stackalloc char[128], $"{_label}: nearest similarity {best:0.00}{_shortfallSuffix}");
        return new SemanticOutcome(new ClassifierVerdict(_defaultTier, Math.Round(best, 4), shortfall + _defaultSuffix), shortfall, best, voted);
    }

    /// <summary>
    /// The example prompts' vectors: computed at construction by a local embedder, else fetched on first use; a
    /// failed computation or fetch is tried again, once, by whichever request comes next.
    /// </summary>
    private sealed class ExampleVectors
    {
        private readonly SemanticClassifier _owner;
        private readonly string[] _texts;
        private Lazy<Task<IReadOnlyList<float[]>>> _vectors;

        public ExampleVectors(SemanticClassifier owner, IEmbedder embedder, string[] texts)
        {
            _owner = owner;
            _texts = texts;
            Embedder = embedder;
            _vectors = new(Compute);
            if (embedder.Local)
            {
                _ = _vectors.Value;
            }
        }

        public IEmbedder Embedder { get; }

        /// <summary>The vectors when they are computed, else null.</summary>
        public IReadOnlyList<float[]>? Ready
        {
            get
            {
                var current = Volatile.Read(ref _vectors);
                return current.IsValueCreated && current.Value.IsCompletedSuccessfully ? current.Value.Result : null;
            }
        }

        /// <summary>Why the last computation failed, or null.</summary>
        public string? Error
        {
            get
            {
                var current = Volatile.Read(ref _vectors);
                return current.IsValueCreated && current.Value.IsFaulted ? current.Value.Exception!.InnerException!.Message : null;
            }
        }

        /// <exception cref="EmbeddingException">The vectors could not be computed.</exception>
        public async Task<IReadOnlyList<float[]>> VectorsAsync(CancellationToken cancellationToken)
        {
            var current = Volatile.Read(ref _vectors);
            if (current.IsValueCreated && current.Value.IsCompleted && !current.Value.IsCompletedSuccessfully)
            {
                Interlocked.CompareExchange(ref _vectors, new Lazy<Task<IReadOnlyList<float[]>>>(Compute), current);
                current = Volatile.Read(ref _vectors);
            }

            // The shared computation is not tied to one request, so a cancelled request leaves it running for the next.
            return await current.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        private Task<IReadOnlyList<float[]>> Compute()
        {
            Interlocked.Increment(ref _owner._calls);
            try
            {
                var pending = Embedder.EmbedManyAsync(_texts, CancellationToken.None);
                return pending.IsCompletedSuccessfully ? Task.FromResult(pending.Result) : Checked(pending.AsTask());
            }
            catch (EmbeddingException ex)
            {
                Interlocked.Increment(ref _owner._failures);
                return Task.FromException<IReadOnlyList<float[]>>(ex);
            }
        }

        private async Task<IReadOnlyList<float[]>> Checked(Task<IReadOnlyList<float[]>> pending)
        {
            try
            {
                return await pending.ConfigureAwait(false);
            }
            catch (EmbeddingException)
            {
                Interlocked.Increment(ref _owner._failures);
                throw;
            }
        }
    }
}
