using System.Numerics;

namespace CostConsole.Routing.Embeddings;

/// <summary>
/// Turns a text into a dense sentence embedding, L2-normalised, so the dot product of two vectors is their cosine
/// similarity. One abstraction for the local sentence model (MiniLM, in CostConsole.Embeddings) and an
/// OpenAI-compatible embeddings model from the catalogue; the semantic classifier and, later, a response cache use it.
/// </summary>
public interface IEmbedder
{
    /// <summary>What the trace and the console call this vectoriser, e.g. "MiniLM" or "embeddings model text-embedding-3-small".</summary>
    string Name { get; }

    /// <summary>
    /// True when vectors are computed in this process without I/O: the compiler then embeds a rule set's example
    /// prompts when it is published, instead of on the first request.
    /// </summary>
    bool Local { get; }

    /// <exception cref="EmbeddingException">The text could not be embedded (the model failed to load, the upstream failed).</exception>
    ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken);

    /// <summary>One vector per text, in order.</summary>
    /// <exception cref="EmbeddingException">The texts could not be embedded.</exception>
    ValueTask<IReadOnlyList<float[]>> EmbedManyAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken);
}

/// <summary>An embedder could not produce a vector; the message says why in words a person can act on.</summary>
public sealed class EmbeddingException : Exception
{
    public EmbeddingException(string message)
        : base(message)
    {
    }

    public EmbeddingException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>Vector arithmetic shared by the embedders and their users.</summary>
public static class EmbeddingVectors
{
    /// <summary>Scales <paramref name="vector"/> to unit length in place (a zero vector stays zero) and returns it.</summary>
    public static float[] Normalise(float[] vector)
    {
        var norm = MathF.Sqrt(Dot(vector, vector));
        if (norm > 0)
        {
            var scale = 1f / norm;
            for (var i = 0; i < vector.Length; i++)
            {
                vector[i] *= scale;
            }
        }

        return vector;
    }

    /// <summary>Cosine similarity of two normalised vectors; vectors of different sizes (another model's) are not similar at all.</summary>
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            return 0f;
        }

        var sum = Vector<float>.Zero;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= a.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                sum += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
            }
        }

        var total = Vector.Sum(sum);
        for (; i < a.Length; i++)
        {
            total += a[i] * b[i];
        }

        return total;
    }
}
