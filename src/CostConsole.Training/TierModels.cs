namespace CostConsole.Training;

/// <summary>
/// Which model columns of a labelled file answer for which tier: <c>small=modelA,large=modelB</c>; a tier may list
/// several models (<c>small=a+b</c> or the tier repeated), whose scores are averaged.
/// </summary>
public sealed record TierModels(IReadOnlyList<(string Tier, IReadOnlyList<string> Models)> Tiers)
{
    /// <param name="knownTiers">The router's tiers, cheapest first; the mapping is put in this order.</param>
    /// <exception cref="LabelledFileException">The text is not a mapping of known tiers to models.</exception>
    public static TierModels Parse(string text, IReadOnlyList<string> knownTiers)
    {
        var byTier = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0 || equals == part.Length - 1)
            {
                throw new LabelledFileException(0, $"The tier mapping '{part}' is not tier=model; write e.g. small=modelA,large=modelB.");
            }

            var tier = part[..equals].Trim();
            if (!knownTiers.Contains(tier, StringComparer.OrdinalIgnoreCase))
            {
                throw new LabelledFileException(0, $"The tier mapping names tier '{tier}', which does not exist (tiers: {string.Join(", ", knownTiers)}).");
            }

            var models = byTier.TryGetValue(tier, out var list) ? list : byTier[tier] = [];
            models.AddRange(part[(equals + 1)..].Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        if (byTier.Count == 0)
        {
            throw new LabelledFileException(0, "The tier mapping is empty; write e.g. small=modelA,large=modelB.");
        }

        return new TierModels([.. knownTiers.Where(byTier.ContainsKey).Select(t => (t, (IReadOnlyList<string>)byTier[t]))]);
    }
}
