using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace CostConsole.Routing.Classification;

/// <summary>
/// The offline vectoriser and its inverted index over the example prompts. A text's features are its word
/// unigrams and bigrams and the character 3–5-grams of each word (with word-boundary marks), lower-cased and
/// hashed into a fixed space. Weights are sublinear TF (1 + ln tf) times smoothed IDF learnt from the examples,
/// L2-normalised, compared by cosine similarity. Everything about the examples is computed once here; a request
/// only featurises its own text and walks the postings of the features it shares with them.
/// </summary>
internal sealed class HashedTfIdfIndex
{
    /// <summary>The hashed feature space; large enough that collisions among a few hundred examples are rare.</summary>
    internal const int Dimensions = 1 << 18;

    /// <summary>Only the start of a very long prompt is compared, so one huge request cannot cost more than a few hundred microseconds.</summary>
    internal const int MaxCharacters = 8192;

    private const int Mask = Dimensions - 1;
    private const uint FnvPrime = 16777619;
    private const uint WordSeed = 2166136261;
    private const uint GramSeed = 0x811C9DC5 ^ 0x5BD1E995;
    private const uint BigramSeed = 0x27D4EB2F;
    private const char WordStart = '\u0002';
    private const char WordEnd = '\u0003';

    private static readonly float[] SublinearTf = [.. Enumerable.Range(0, 64).Select(tf => tf == 0 ? 0f : 1f + MathF.Log(tf))];

    // Postings in compressed-row form: the examples holding dimension d are _examples[_start[d].._start[d + 1]].
    private readonly int[] _start;
    private readonly int[] _examples;
    private readonly float[] _weights;

    // IDF depends only on how many examples hold a feature, which is the length of its posting list.
    private readonly float[] _idfByDocumentFrequency;

    public HashedTfIdfIndex(IReadOnlyList<string> examples)
    {
        ExampleCount = examples.Count;
        var documentFrequency = new Dictionary<int, int>();
        var termFrequencies = new (int Dimension, int Count)[examples.Count][];
        var buffer = new int[64];
        for (var i = 0; i < examples.Count; i++)
        {
            var text = Clip(examples[i]);
            if (buffer.Length < MaxFeatures(text.Length))
            {
                buffer = new int[MaxFeatures(text.Length)];
            }

            var count = Featurise(text, buffer);
            var features = CountRuns(buffer.AsSpan(0, count));
            termFrequencies[i] = features;
            foreach (var (dimension, _) in features)
            {
                documentFrequency[dimension] = documentFrequency.GetValueOrDefault(dimension) + 1;
            }
        }

        _idfByDocumentFrequency = [.. Enumerable.Range(0, examples.Count + 1).Select(df => MathF.Log((1f + examples.Count) / (1f + df)) + 1f)];

        var postings = new List<(int Dimension, int Example, float Weight)>();
        for (var i = 0; i < termFrequencies.Length; i++)
        {
            var features = termFrequencies[i];
            var weights = features.Select(f => Tf(f.Count) * _idfByDocumentFrequency[documentFrequency[f.Dimension]]).ToArray();
            var norm = MathF.Sqrt(weights.Sum(w => w * w));
            for (var j = 0; j < features.Length; j++)
            {
                postings.Add((features[j].Dimension, i, weights[j] / norm));
            }
        }

        postings.Sort((a, b) => a.Dimension != b.Dimension ? a.Dimension.CompareTo(b.Dimension) : a.Example.CompareTo(b.Example));
        _start = new int[Dimensions + 1];
        _examples = new int[postings.Count];
        _weights = new float[postings.Count];
        for (var p = 0; p < postings.Count; p++)
        {
            _start[postings[p].Dimension + 1]++;
            _examples[p] = postings[p].Example;
            _weights[p] = postings[p].Weight;
        }

        for (var d = 0; d < Dimensions; d++)
        {
            _start[d + 1] += _start[d];
        }
    }

    public int ExampleCount { get; }

    public int PostingCount => _examples.Length;

    /// <summary>Writes the cosine similarity of <paramref name="text"/> to every example into <paramref name="similarities"/>.</summary>
    public void Score(string text, Span<float> similarities)
    {
        similarities.Clear();
        var clipped = Clip(text);
        var features = ArrayPool<int>.Shared.Rent(MaxFeatures(clipped.Length));
        int[]? table = null;
        try
        {
            var count = Featurise(clipped, features);

            // Term frequencies in an open-addressing table at most half full: cheaper than sorting the occurrences.
            var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, count * 2));
            table = ArrayPool<int>.Shared.Rent(capacity * 2);
            var keys = table.AsSpan(0, capacity);
            var counts = table.AsSpan(capacity, capacity);
            keys.Clear();
            var mask = capacity - 1;
            for (var i = 0; i < count; i++)
            {
                var key = features[i] + 1;
                var slot = key & mask;
                while (keys[slot] != 0 && keys[slot] != key)
                {
                    slot = (slot + 1) & mask;
                }

                if (keys[slot] == 0)
                {
                    keys[slot] = key;
                    counts[slot] = 1;
                }
                else
                {
                    counts[slot]++;
                }
            }

            var normSquared = 0f;
            for (var slot = 0; slot < capacity; slot++)
            {
                if (keys[slot] == 0)
                {
                    continue;
                }

                var dimension = keys[slot] - 1;
                var start = _start[dimension];
                var end = _start[dimension + 1];
                var weight = Tf(counts[slot]) * _idfByDocumentFrequency[end - start];
                normSquared += weight * weight;
                for (var p = start; p < end; p++)
                {
                    similarities[_examples[p]] += weight * _weights[p];
                }
            }

            if (normSquared > 0)
            {
                var inverseNorm = 1f / MathF.Sqrt(normSquared);
                for (var e = 0; e < similarities.Length; e++)
                {
                    similarities[e] *= inverseNorm;
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(features);
            if (table is not null)
            {
                ArrayPool<int>.Shared.Return(table);
            }
        }
    }

    /// <summary>An upper bound on the features of a text of <paramref name="length"/> characters.</summary>
    internal static int MaxFeatures(int length) => 7 * length + 8;

    /// <summary>Writes the hashed dimension of every feature occurrence of <paramref name="text"/>; returns how many.</summary>
    internal static int Featurise(ReadOnlySpan<char> text, Span<int> output)
    {
        var count = 0;
        var previousWord = 0u;
        var hasPrevious = false;
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                if (start < 0)
                {
                    start = i;
                }

                continue;
            }

            if (start < 0)
            {
                continue;
            }

            var word = text[start..i];
            start = -1;
            var wordHash = WordSeed;
            foreach (var c in word)
            {
                wordHash = (wordHash ^ char.ToLowerInvariant(c)) * FnvPrime;
            }

            wordHash = Mix(wordHash);
            output[count++] = (int)(wordHash & Mask);
            if (hasPrevious)
            {
                output[count++] = (int)(Mix((previousWord * 0x9E3779B1) ^ wordHash ^ BigramSeed) & Mask);
            }

            previousWord = wordHash;
            hasPrevious = true;
            count += CharacterGrams(word, output[count..]);
        }

        return count;
    }

    /// <summary>The 3-, 4- and 5-grams of the word framed by boundary marks, so "<c>\u0002ab\u0003</c>" still yields one.</summary>
    private static int CharacterGrams(ReadOnlySpan<char> word, Span<int> output)
    {
        var framed = word.Length + 2;
        var count = 0;
        for (var s = 0; s + 3 <= framed; s++)
        {
            var hash = GramSeed;
            for (var n = 0; n < 5 && s + n < framed; n++)
            {
                var position = s + n;
                var c = position == 0 ? WordStart : position == framed - 1 ? WordEnd : char.ToLowerInvariant(word[position - 1]);
                hash = (hash ^ c) * FnvPrime;
                if (n >= 2)
                {
                    output[count++] = (int)(Mix(hash + (uint)n) & Mask);
                }
            }
        }

        return count;
    }

    private static (int Dimension, int Count)[] CountRuns(Span<int> features)
    {
        features.Sort();
        var runs = new List<(int, int)>();
        for (var i = 0; i < features.Length;)
        {
            var run = 1;
            while (i + run < features.Length && features[i + run] == features[i])
            {
                run++;
            }

            runs.Add((features[i], run));
            i += run;
        }

        return [.. runs];
    }

    private static ReadOnlySpan<char> Clip(string text) => text.AsSpan(0, Math.Min(text.Length, MaxCharacters));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Tf(int count) => count < SublinearTf.Length ? SublinearTf[count] : 1f + MathF.Log(count);

    /// <summary>murmur3's finaliser: spreads FNV's weak low bits before masking.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Mix(uint h)
    {
        h ^= h >> 16;
        h *= 0x85EBCA6B;
        h ^= h >> 13;
        h *= 0xC2B2AE35;
        h ^= h >> 16;
        return h;
    }
}
