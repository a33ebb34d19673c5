using System.Globalization;
using System.Runtime.InteropServices;
using CostConsole.Embeddings;

namespace CostConsole.Benchmarks.Embeddings;

/// <summary>
/// Real MiniLM embeddings of distinct support-desk questions, for benchmarks whose result depends on how real vectors
/// are spread (the cache index's prefilter prunes by the directions they share). Embedding 100,000 questions takes
/// minutes, so the vectors are kept in a file in the temporary folder and extended when more are asked for.
/// </summary>
internal static class SupportQuestionVectors
{
    private static readonly string[] Templates =
    [
        "How do I {0} my {1}{2}?", "Can you help me {0} the {1}{2}?", "I need to {0} my {1}{2}.", "What happens if I {0} my {1}{2}?",
        "Is it possible to {0} a {1}{2}?", "Why can't I {0} my {1}{2}?", "Where can I {0} my {1}{2}?", "Who do I contact to {0} my {1}{2}?",
        "How long does it take to {0} a {1}{2}?", "Please {0} my {1}{2}.", "Explain how to {0} the {1}{2}.", "What does it cost to {0} my {1}{2}?",
        "Summarise the steps to {0} our {1}{2}.", "Write a short note asking to {0} the {1}{2}.", "Is there a way to {0} my {1}{2} without calling?",
        "My attempt to {0} the {1}{2} failed, what now?", "Can a colleague {0} my {1}{2}?", "Do you allow customers to {0} their {1}{2}?",
        "What documents do I need to {0} a {1}{2}?", "Is it safe to {0} my {1}{2}?", "Could you {0} the {1}{2} for me today?",
        "Which page lets me {0} my {1}{2}?", "What are the rules to {0} a {1}{2}?", "I was told I cannot {0} my {1}{2}, is that right?",
    ];

    private static readonly string[] Verbs =
    [
        "reset", "change", "cancel", "update", "track", "renew", "download", "find", "verify", "close", "transfer", "pause",
        "upgrade", "downgrade", "merge", "export", "share", "delete", "restore", "print", "split", "reopen", "replace", "link",
    ];

    private static readonly string[] Nouns =
    [
        "password", "parcel", "order", "invoice", "subscription", "account", "address", "card", "plan", "delivery", "receipt", "warranty",
        "profile", "team workspace", "API key", "shipping label", "gift card", "loyalty points", "contract", "phone number", "email address",
        "return request", "booking", "reservation", "licence", "device", "router", "mailbox", "storage quota", "direct debit", "tax form", "report",
    ];

    private static readonly string[] Qualifiers =
    [
        "", " on the mobile app", " from abroad", " before the end of the month", " for my business account", " after moving house",
        " without a receipt", " in the web console", " for a family member", " during the weekend", " with two-factor login on",
        " when the site is slow", " for the second time", " on a shared computer", " right after signing up", " in another language",
    ];

    /// <summary>The first <paramref name="count"/> questions of one fixed shuffle of every combination (so a shorter list is a prefix of a longer one).</summary>
    public static string[] Prompts(int count)
    {
        var total = Templates.Length * Verbs.Length * Nouns.Length * Qualifiers.Length;
        if (count > total)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"At most {total:N0} distinct questions.");
        }

        var order = Enumerable.Range(0, total).ToArray();
        new Random(17).Shuffle(order);
        return [.. order.Take(count).Select(Question)];
    }

    /// <summary>The embeddings of <see cref="Prompts"/>, from the file when it holds enough, else embedded now and appended.</summary>
    public static float[][] Load(int count)
    {
        var path = Path.Combine(Path.GetTempPath(), $"costconsole-bench-minilm-support-{MiniLmEmbedder.Dimensions}.f32");
        var bytesPerVector = MiniLmEmbedder.Dimensions * sizeof(float);
        var vectors = new List<float[]>(count);
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            for (var i = 0; i < Math.Min(count, bytes.Length / bytesPerVector); i++)
            {
                vectors.Add(MemoryMarshal.Cast<byte, float>(bytes.AsSpan(i * bytesPerVector, bytesPerVector)).ToArray());
            }
        }

        if (vectors.Count == count)
        {
            return [.. vectors];
        }

        var prompts = Prompts(count);
        var embedder = new MiniLmEmbedder(new MiniLmOptions());
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"embedding {count - vectors.Count:N0} support questions with MiniLM into {path} ..."));
        using var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write);
        file.Seek((long)vectors.Count * bytesPerVector, SeekOrigin.Begin);
        while (vectors.Count < count)
        {
            var vector = embedder.EmbedAsync(prompts[vectors.Count], default).AsTask().GetAwaiter().GetResult();
            file.Write(MemoryMarshal.AsBytes(vector.AsSpan()));
            vectors.Add(vector);
            if (vectors.Count % 5_000 == 0)
            {
                file.Flush();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {vectors.Count:N0} embedded"));
            }
        }

        return [.. vectors];
    }

    private static string Question(int combination)
    {
        var qualifier = combination % Qualifiers.Length;
        combination /= Qualifiers.Length;
        var noun = combination % Nouns.Length;
        combination /= Nouns.Length;
        var verb = combination % Verbs.Length;
        var template = combination / Verbs.Length;
        return string.Format(CultureInfo.InvariantCulture, Templates[template], Verbs[verb], Nouns[noun], Qualifiers[qualifier]);
    }
}
