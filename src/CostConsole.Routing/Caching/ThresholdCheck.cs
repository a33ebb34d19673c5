using System.Globalization;
using CostConsole.Routing.Embeddings;
using CsvHelper;
using CsvHelper.Configuration;

namespace CostConsole.Routing.Caching;

/// <summary>Two prompts and whether a person says one answer serves both.</summary>
public sealed record LabelledPair(string PromptA, string PromptB, bool SameAnswer, int Line);

/// <summary>A labelled pair file could not be read; the message names the line and what is wrong.</summary>
public sealed class LabelledPairException(string message) : Exception(message);

/// <summary>
/// Precision and recall of the semantic level at one threshold over labelled pairs, with Wilson 95% intervals:
/// a pair is served from cache when its similarity reaches the threshold and the content gate lets it through.
/// </summary>
public sealed record ThresholdPoint(double Threshold, int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary>Of the pairs that would be served from cache, the share that deserved the same answer; null when none would be.</summary>
    public double? Precision => TruePositives + FalsePositives == 0 ? null : (double)TruePositives / (TruePositives + FalsePositives);

    public (double Low, double High)? PrecisionInterval => TruePositives + FalsePositives == 0 ? null : ThresholdCheck.Wilson(TruePositives, TruePositives + FalsePositives);

    /// <summary>Of the pairs that deserved the same answer, the share served from cache; null when there are none.</summary>
    public double? Recall => TruePositives + FalseNegatives == 0 ? null : (double)TruePositives / (TruePositives + FalseNegatives);

    public (double Low, double High)? RecallInterval => TruePositives + FalseNegatives == 0 ? null : ThresholdCheck.Wilson(TruePositives, TruePositives + FalseNegatives);
}

/// <summary>One scored pair: its similarity, and whether the content gate lets it through (and why not).</summary>
public sealed record ScoredPair(LabelledPair Pair, double Similarity, string? GateRefusal);

/// <summary>The threshold check: reads labelled pairs, scores them with the cache's embedder and gate, and draws the curve.</summary>
public static class ThresholdCheck
{
    public const int MaxPairs = 5_000;

    /// <summary>Thresholds from 0.70 to 0.99 in steps of 0.01.</summary>
    public static IReadOnlyList<double> Thresholds { get; } = [.. Enumerable.Range(70, 30).Select(i => i / 100.0)];

    /// <summary>Reads <c>prompt_a,prompt_b,same_answer</c> CSV (header optional; same_answer true/false, yes/no or 1/0).</summary>
    /// <exception cref="LabelledPairException">The text is empty, too long, or a line is not a pair.</exception>
    public static IReadOnlyList<LabelledPair> Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new LabelledPairException("The file is empty: upload lines of prompt_a,prompt_b,same_answer.");
        }

        var pairs = new List<LabelledPair>();
        using var reader = new StringReader(text);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { HasHeaderRecord = false, BadDataFound = null, MissingFieldFound = null });
        while (csv.Read())
        {
            var line = csv.Parser.RawRow;
            var fields = csv.Parser.Record ?? [];
            if (fields.All(string.IsNullOrWhiteSpace))
            {
                continue;
            }

            if (pairs.Count == 0 && line == 1 && fields.Length >= 3 && fields[2].Trim().Equals("same_answer", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (fields.Length != 3)
            {
                throw new LabelledPairException($"Line {line}: expected 3 fields (prompt_a,prompt_b,same_answer), found {fields.Length}. Quote prompts that contain commas.");
            }

            if (string.IsNullOrWhiteSpace(fields[0]) || string.IsNullOrWhiteSpace(fields[1]))
            {
                throw new LabelledPairException($"Line {line}: both prompts must have text.");
            }

            var same = fields[2].Trim().ToLowerInvariant() switch
            {
                "true" or "yes" or "1" or "y" => true,
                "false" or "no" or "0" or "n" => false,
                var other => throw new LabelledPairException($"Line {line}: same_answer is '{other}'; write true or false."),
            };
            pairs.Add(new LabelledPair(fields[0].Trim(), fields[1].Trim(), same, line));
            if (pairs.Count > MaxPairs)
            {
                throw new LabelledPairException($"The file has more than {MaxPairs:N0} pairs; check at most {MaxPairs:N0} at once.");
            }
        }

        return pairs.Count == 0 ? throw new LabelledPairException("The file has a header but no pairs.") : pairs;
    }

    /// <summary>Embeds both prompts of every pair and asks the content gate about each.</summary>
    /// <exception cref="EmbeddingException">The embedder cannot run.</exception>
    public static async Task<IReadOnlyList<ScoredPair>> ScoreAsync(IReadOnlyList<LabelledPair> pairs, IEmbedder embedder, CancellationToken cancellationToken)
    {
        var texts = pairs.SelectMany(p => new[] { p.PromptA, p.PromptB }).Distinct(StringComparer.Ordinal).ToList();
        var vectors = await embedder.EmbedManyAsync(texts, cancellationToken).ConfigureAwait(false);
        var byText = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (var i = 0; i < texts.Count; i++)
        {
            byText[texts[i]] = vectors[i];
        }

        return [.. pairs.Select(p => new ScoredPair(p, Math.Round(EmbeddingVectors.Dot(byText[p.PromptA], byText[p.PromptB]), 4), Refusal(p)))];
    }

    /// <summary>Why the cache would never serve one prompt of the pair for the other, whatever the similarity: the gate, or a personal prompt.</summary>
    private static string? Refusal(LabelledPair pair)
    {
        if (PromptFacts.Of(pair.PromptA).DiffersFrom(PromptFacts.Of(pair.PromptB)) is { } gate)
        {
            return gate;
        }

        var personal = PersonalContent.Detect(pair.PromptA) ?? PersonalContent.Detect(pair.PromptB);
        return personal is null ? null : "personal: " + personal;
    }

    public static IReadOnlyList<ThresholdPoint> Curve(IReadOnlyList<ScoredPair> scored, IEnumerable<double>? thresholds = null) =>
        [.. (thresholds ?? Thresholds).Select(t =>
        {
            int tp = 0, fp = 0, fn = 0;
            foreach (var pair in scored)
            {
                var served = pair.Similarity >= t && pair.GateRefusal is null;
                tp += served && pair.Pair.SameAnswer ? 1 : 0;
                fp += served && !pair.Pair.SameAnswer ? 1 : 0;
                fn += !served && pair.Pair.SameAnswer ? 1 : 0;
            }

            return new ThresholdPoint(t, tp, fp, fn);
        })];

    /// <summary>The Wilson score interval at 95% for <paramref name="successes"/> out of <paramref name="trials"/>.</summary>
    public static (double Low, double High) Wilson(int successes, int trials)
    {
        const double Z = 1.959963984540054;
        var n = (double)trials;
        var p = successes / n;
        var denominator = 1 + Z * Z / n;
        var centre = (p + Z * Z / (2 * n)) / denominator;
        var half = Z * Math.Sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denominator;
        return (Math.Max(0, centre - half), Math.Min(1, centre + half));
    }
}
