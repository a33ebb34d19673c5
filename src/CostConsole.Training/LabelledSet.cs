namespace CostConsole.Training;

/// <summary>
/// One labelled prompt. <see cref="Quality"/> holds, per tier of the set (cheapest first), how acceptable that
/// tier's answer is, 0..1 (1 = acceptable), or null when the file says nothing about that tier for this prompt.
/// </summary>
public sealed record LabelledPrompt(string Prompt, double?[] Quality, int Line)
{
    public int UserTurns { get; init; } = 1;

    public bool HasTools { get; init; }

    /// <summary>Importance in training, e.g. an inverse propensity for explored requests; 1 by default.</summary>
    public double Weight { get; init; } = 1;

    /// <summary>The cheapest tier whose answer is acceptable (quality ≥ 0.5), or -1 when none is.</summary>
    public int CheapestAcceptable()
    {
        for (var i = 0; i < Quality.Length; i++)
        {
            if (Quality[i] >= 0.5)
            {
                return i;
            }
        }

        return -1;
    }
}

/// <summary>Labelled prompts over a list of tiers (cheapest first), ready to train or evaluate on.</summary>
public sealed record LabelledSet(IReadOnlyList<string> Tiers, IReadOnlyList<LabelledPrompt> Examples, string Source)
{
    /// <summary>Builds a set from cheapest-acceptable-tier labels: every tier from the label up is acceptable, every one below is not.</summary>
    public static LabelledPrompt FromCheapestTier(string prompt, int tier, int tierCount, int line = 0)
    {
        var quality = new double?[tierCount];
        for (var i = 0; i < tierCount; i++)
        {
            quality[i] = i >= tier ? 1 : 0;
        }

        return new LabelledPrompt(prompt, quality, line);
    }

    /// <summary>Examples per cheapest acceptable tier, with "none" for prompts no tier answers acceptably.</summary>
    public IReadOnlyDictionary<string, int> CheapestAcceptableCounts()
    {
        var counts = Tiers.ToDictionary(t => t, _ => 0);
        foreach (var example in Examples)
        {
            var tier = example.CheapestAcceptable();
            var key = tier < 0 ? "none" : Tiers[tier];
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }

        return counts;
    }
}

/// <summary>A labelled file that cannot be used, with the line and why; nothing was read from it.</summary>
public sealed class LabelledFileException(int line, string reason)
    : Exception(line > 0 ? $"Line {line}: {reason}" : reason)
{
    /// <summary>1-based line of the problem, or 0 when it concerns the whole file (e.g. the header or the tier mapping).</summary>
    public int Line { get; } = line;

    public string Reason { get; } = reason;
}
