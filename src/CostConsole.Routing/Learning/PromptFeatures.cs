using System.Buffers;

namespace CostConsole.Routing.Learning;

/// <summary>
/// What the trained router reads of a prompt: hashed word unigrams and bigrams and character 4-grams of each
/// word (lower-cased, with word-boundary marks), sublinear counts L2-normalised; and a few length and structure
/// features (characters, words, turns, tools, code, numbers, math symbols, questions, sentences, lines), which
/// transfer best to prompts unlike the training data. Training and inference call the same code, so a model
/// can only ever see features computed exactly as it was trained on.
/// </summary>
public static class PromptFeatures
{
    /// <summary>Only the start of a very long prompt is read for n-grams; its length still counts in full.</summary>
    public const int MaxCharacters = 4096;

    /// <summary>The number of structure features; their order is part of the model format.</summary>
    public const int StructureCount = 14;

    public static readonly IReadOnlyList<string> StructureNames =
    [
        "characters", "words", "user turns", "tools", "code", "numbers", "math symbols", "questions",
        "sentences", "lines", "capitals", "word length", "long words", "latex",
    ];

    private const uint FnvPrime = 16777619;
    private const uint WordSeed = 2166136261;
    private const uint BigramSeed = 0x27D4EB2F;
    private const uint GramSeed = 0x811C9DC5 ^ 0x5BD1E995;
    private const char WordStart = '\u0002';
    private const char WordEnd = '\u0003';
    private const int GramLength = 4;

    private static readonly SearchValues<char> MathSymbols = SearchValues.Create("+-*/=^<>√∑∫π±×÷≤≥≠∞%");

    /// <summary>
    /// Writes the hashed features of <paramref name="text"/> into <paramref name="buffer"/> and the structure
    /// features into <paramref name="structure"/>; returns the number of distinct hashed features.
    /// </summary>
    public static int Extract(ReadOnlySpan<char> text, int userTurns, bool hasTools, int hashBits, FeatureBuffer buffer, Span<float> structure)
    {
        var clipped = text.Length > MaxCharacters ? text[..MaxCharacters] : text;
        buffer.EnsureCapacity(MaxHashed(clipped.Length));
        var count = Hash(clipped, (1 << hashBits) - 1, buffer.Indices);
        count = Collapse(buffer.Indices.AsSpan(0, count), buffer.Values);
        Structure(text, userTurns, hasTools, structure);
        return count;
    }

    /// <summary>Features of a prompt as a fresh sparse vector, for training and evaluation.</summary>
    public static (int[] Indices, float[] Values, float[] Structure) Extract(string text, int userTurns, bool hasTools, int hashBits)
    {
        var buffer = new FeatureBuffer();
        var structure = new float[StructureCount];
        var count = Extract(text, userTurns, hasTools, hashBits, buffer, structure);
        return (buffer.Indices[..count], buffer.Values[..count], structure);
    }

    internal static int MaxHashed(int length) => (3 * length) + 8;

    private static int Hash(ReadOnlySpan<char> text, int mask, int[] output)
    {
        var count = 0;
        var previous = 0u;
        var havePrevious = false;
        Span<char> word = stackalloc char[66];
        var i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && !char.IsLetterOrDigit(text[i]))
            {
                i++;
            }

            var length = 0;
            word[length++] = WordStart;
            while (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                if (length < word.Length - 1)
                {
                    word[length++] = char.ToLowerInvariant(text[i]);
                }

                i++;
            }

            if (length == 1)
            {
                break;
            }

            word[length++] = WordEnd;
            var letters = word[1..(length - 1)];
            var wordHash = Fnv(WordSeed, letters);
            output[count++] = (int)(wordHash & (uint)mask);
            if (havePrevious)
            {
                output[count++] = (int)(((previous * FnvPrime) ^ wordHash ^ BigramSeed) * FnvPrime & (uint)mask);
            }

            previous = wordHash;
            havePrevious = true;
            var bounded = word[..length];
            if (bounded.Length <= GramLength)
            {
                output[count++] = (int)(Fnv(GramSeed, bounded) & (uint)mask);
            }
            else
            {
                for (var start = 0; start + GramLength <= bounded.Length; start++)
                {
                    output[count++] = (int)(Fnv(GramSeed, bounded.Slice(start, GramLength)) & (uint)mask);
                }
            }
        }

        return count;
    }

    private static uint Fnv(uint seed, ReadOnlySpan<char> chars)
    {
        var hash = seed;
        foreach (var c in chars)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        return hash;
    }

    /// <summary>Sorts the hashed indices, counts repeats as 1 + ln(count) and L2-normalises; returns the distinct count.</summary>
    private static int Collapse(Span<int> indices, float[] values)
    {
        if (indices.IsEmpty)
        {
            return 0;
        }

        indices.Sort();
        var distinct = 0;
        var run = 1;
        for (var i = 1; i <= indices.Length; i++)
        {
            if (i < indices.Length && indices[i] == indices[i - 1])
            {
                run++;
                continue;
            }

            indices[distinct] = indices[i - 1];
            values[distinct] = run == 1 ? 1f : 1f + MathF.Log(run);
            distinct++;
            run = 1;
        }

        var norm = 0f;
        for (var i = 0; i < distinct; i++)
        {
            norm += values[i] * values[i];
        }

        var scale = 1f / MathF.Sqrt(norm);
        for (var i = 0; i < distinct; i++)
        {
            values[i] *= scale;
        }

        return distinct;
    }

    private static void Structure(ReadOnlySpan<char> text, int userTurns, bool hasTools, Span<float> output)
    {
        int words = 0, letters = 0, capitals = 0, longWords = 0, numbers = 0, math = 0, questions = 0, sentences = 0, lines = 0, code = 0, latex = 0;
        var wordLength = 0;
        var inNumber = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsLetter(c))
            {
                letters++;
                wordLength++;
                if (char.IsUpper(c))
                {
                    capitals++;
                }
            }
            else if (wordLength > 0)
            {
                words++;
                if (wordLength > 8)
                {
                    longWords++;
                }

                wordLength = 0;
            }

            if (char.IsDigit(c))
            {
                if (!inNumber)
                {
                    numbers++;
                }

                inNumber = true;
            }
            else if (c is not ('.' or ','))
            {
                inNumber = false;
            }

            switch (c)
            {
                case '?':
                    questions++;
                    sentences++;
                    break;
                case '.' or '!':
                    if (i + 1 == text.Length || char.IsWhiteSpace(text[i + 1]))
                    {
                        sentences++;
                    }

                    break;
                case '\n':
                    lines++;
                    break;
                case '{' or '}' or ';' or '`':
                    code++;
                    break;
                case '\\' or '$':
                    latex++;
                    break;
            }

            if (MathSymbols.Contains(c))
            {
                math++;
            }
        }

        if (wordLength > 0)
        {
            words++;
            if (wordLength > 8)
            {
                longWords++;
            }
        }

        output[0] = MathF.Log(1 + text.Length) / 10f;
        output[1] = MathF.Log(1 + words) / 8f;
        output[2] = MathF.Log(1 + Math.Max(userTurns, 1)) / 3f;
        output[3] = hasTools ? 1f : 0f;
        output[4] = MathF.Log(1 + code) / 4f;
        output[5] = MathF.Log(1 + numbers) / 4f;
        output[6] = MathF.Log(1 + math) / 4f;
        output[7] = MathF.Log(1 + questions) / 2f;
        output[8] = MathF.Log(1 + sentences) / 4f;
        output[9] = MathF.Log(1 + lines) / 4f;
        output[10] = letters == 0 ? 0f : (float)capitals / letters;
        output[11] = words == 0 ? 0f : Math.Min(letters / (float)words, 20f) / 10f;
        output[12] = words == 0 ? 0f : (float)longWords / words;
        output[13] = MathF.Log(1 + latex) / 3f;
    }
}

/// <summary>Reusable scratch space for one feature extraction; not thread-safe, so one per thread.</summary>
public sealed class FeatureBuffer
{
    public int[] Indices { get; private set; } = new int[512];

    public float[] Values { get; private set; } = new float[512];

    internal void EnsureCapacity(int size)
    {
        if (Indices.Length < size)
        {
            Indices = new int[size];
            Values = new float[size];
        }
    }
}
