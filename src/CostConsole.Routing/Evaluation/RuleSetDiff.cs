using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Evaluation;

public enum DiffKind
{
    Added,
    Removed,
    Changed,
    Moved,
}

/// <summary>One difference between two rule sets, in words a reviewer reads.</summary>
public sealed record DiffLine(DiffKind Kind, string Subject, string? Before, string? After);

/// <summary>Compares two versions of a rule set: rules by name, their order, the default tier, the classifier, the escalation policy and the tier mapping.</summary>
public static class RuleSetDiff
{
    /// <param name="defaultMapping">The catalogue's default tier mapping, which a rule set without its own serves; lets the diff name the models either side.</param>
    public static IReadOnlyList<DiffLine> Compare(RuleSetDefinition before, RuleSetDefinition after, IReadOnlyDictionary<string, IReadOnlyList<string>>? defaultMapping = null)
    {
        var lines = new List<DiffLine>();
        var old = before.Rules.Select((r, i) => (r, i)).ToDictionary(x => x.r.Name, StringComparer.OrdinalIgnoreCase);
        var @new = after.Rules.Select((r, i) => (r, i)).ToDictionary(x => x.r.Name, StringComparer.OrdinalIgnoreCase);

        foreach (var (rule, position) in after.Rules.Select((r, i) => (r, i)))
        {
            if (!old.TryGetValue(rule.Name, out var previous))
            {
                lines.Add(new DiffLine(DiffKind.Added, $"rule '{rule.Name}' at #{position + 1}", null, Describe(rule)));
                continue;
            }

            var was = Describe(previous.r);
            var now = Describe(rule);
            if (was != now)
            {
                lines.Add(new DiffLine(DiffKind.Changed, $"rule '{rule.Name}'", was, now));
            }
        }

        foreach (var rule in before.Rules.Where(r => !@new.ContainsKey(r.Name)))
        {
            lines.Add(new DiffLine(DiffKind.Removed, $"rule '{rule.Name}'", Describe(rule), null));
        }

        // Order matters (first match wins): report rules whose place among the rules both versions share changed.
        var sharedBefore = before.Rules.Where(r => @new.ContainsKey(r.Name)).Select(r => r.Name).ToList();
        var sharedAfter = after.Rules.Where(r => old.ContainsKey(r.Name)).Select(r => r.Name).ToList();
        for (var i = 0; i < sharedAfter.Count; i++)
        {
            var from = sharedBefore.FindIndex(n => string.Equals(n, sharedAfter[i], StringComparison.OrdinalIgnoreCase));
            if (from != i)
            {
                lines.Add(new DiffLine(DiffKind.Moved, $"rule '{sharedAfter[i]}'", $"#{old[sharedAfter[i]].i + 1}", $"#{@new[sharedAfter[i]].i + 1}"));
            }
        }

        if (!string.Equals(before.DefaultTier, after.DefaultTier, StringComparison.OrdinalIgnoreCase))
        {
            lines.Add(new DiffLine(DiffKind.Changed, "default tier", before.DefaultTier, after.DefaultTier));
        }

        var classifierBefore = System.Text.Json.JsonSerializer.Serialize(before.Classifier);
        var classifierAfter = System.Text.Json.JsonSerializer.Serialize(after.Classifier);
        if (classifierBefore != classifierAfter)
        {
            var (from, to) = (Describe(before.Classifier), Describe(after.Classifier));
            lines.Add(new DiffLine(DiffKind.Changed, "classifier", from, to + (from == to ? " (settings changed)" : "")));
        }

        CompareEscalation(before.Escalation, after.Escalation, lines);
        CompareMapping(before.TierMapping ?? defaultMapping, after.TierMapping ?? defaultMapping, before.TierMapping is null, after.TierMapping is null, lines);
        return lines;
    }

    private static void CompareMapping(
        IReadOnlyDictionary<string, IReadOnlyList<string>>? before,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? after,
        bool beforeIsDefault,
        bool afterIsDefault,
        List<DiffLine> lines)
    {
        if (before is null || after is null)
        {
            // One side serves a default mapping this diff was not given: say which side brings its own.
            if (beforeIsDefault != afterIsDefault)
            {
                lines.Add(new DiffLine(DiffKind.Changed, "tier mapping", before is null ? "the default tier mapping" : Describe(before), after is null ? "the default tier mapping" : Describe(after)));
            }

            return;
        }

        foreach (var tier in after.Keys.Union(before.Keys, StringComparer.OrdinalIgnoreCase))
        {
            var was = Find(before, tier);
            var now = Find(after, tier);
            if (!(was ?? []).SequenceEqual(now ?? [], StringComparer.OrdinalIgnoreCase))
            {
                lines.Add(new DiffLine(
                    was is null ? DiffKind.Added : now is null ? DiffKind.Removed : DiffKind.Changed,
                    $"models of tier '{tier}'",
                    was is null ? null : string.Join(" › ", was),
                    now is null ? null : string.Join(" › ", now)));
            }
        }
    }

    private static IReadOnlyList<string>? Find(IReadOnlyDictionary<string, IReadOnlyList<string>> mapping, string tier) =>
        mapping.FirstOrDefault(kv => string.Equals(kv.Key, tier, StringComparison.OrdinalIgnoreCase)).Value;

    private static string Describe(IReadOnlyDictionary<string, IReadOnlyList<string>> mapping) =>
        string.Join("; ", mapping.Select(kv => $"{kv.Key} → {string.Join(" › ", kv.Value)}"));

    // A trained classifier is named with its model and operating point, so a new model version shows in the diff.
    private static string Describe(ClassifierDefinition classifier) =>
        classifier is { Kind: ClassifierKind.Trained, Trained: { } trained }
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Trained {trained.Model}, quality target {trained.QualityTarget:0.00}{(trained.Exploration > 0 ? $", exploring {trained.Exploration:0.###}" : "")}")
            : classifier.Kind.ToString();

    private static void CompareEscalation(Escalation.EscalationPolicy before, Escalation.EscalationPolicy after, List<DiffLine> lines)
    {
        if (before.MaxEscalations != after.MaxEscalations)
        {
            lines.Add(new DiffLine(DiffKind.Changed, "escalations allowed per request", before.MaxEscalations.ToString(System.Globalization.CultureInfo.InvariantCulture), after.MaxEscalations.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        foreach (var gates in after.Tiers)
        {
            var previous = before.For(gates.Tier);
            if (previous is null)
            {
                lines.Add(new DiffLine(DiffKind.Added, $"quality gates of tier '{gates.Tier}'", null, Describe(gates)));
            }
            else if (System.Text.Json.JsonSerializer.Serialize(previous) != System.Text.Json.JsonSerializer.Serialize(gates))
            {
                lines.Add(new DiffLine(DiffKind.Changed, $"quality gates of tier '{gates.Tier}'", Describe(previous), Describe(gates)));
            }
        }

        foreach (var gates in before.Tiers.Where(g => after.For(g.Tier) is null))
        {
            lines.Add(new DiffLine(DiffKind.Removed, $"quality gates of tier '{gates.Tier}'", Describe(gates), null));
        }
    }

    /// <summary>A tier's gates in a line: what is checked, with thresholds.</summary>
    internal static string Describe(Escalation.TierGates gates)
    {
        var parts = new List<string>();
        if (gates.MinConfidence is { } confidence)
        {
            parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"confidence ≥ {confidence:0.##} (q{gates.ConfidenceQuantile:0.##})"));
        }

        if (gates.ValidateJson)
        {
            parts.Add("valid JSON");
        }

        parts.AddRange(gates.MustMatch.Select(p => $"must match /{p}/"));
        parts.AddRange(gates.MustNotMatch.Select(p => $"must not match /{p}/"));
        if (gates.RefusalPhrases.Count > 0)
        {
            parts.Add($"{gates.RefusalPhrases.Count} refusal phrase(s)");
        }

        if (gates.EscalateOnTruncation)
        {
            parts.Add("not truncated");
        }

        if (gates.Judge is { } judge)
        {
            parts.Add($"judge {judge.Model} ≥ {judge.MinScore}" + (judge.Prompt == Escalation.JudgeDefinition.DefaultPrompt ? "" : " (own prompt)"));
        }

        if (gates.Arithmetic is { } arithmetic)
        {
            parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"arithmetic (tolerance {arithmetic.Tolerance:0.##} of the last digit)"));
        }

        if (gates.FinalAnswer is { } final)
        {
            parts.Add("one final answer" + (string.IsNullOrWhiteSpace(final.Pattern) ? "" : $" /{final.Pattern}/") + (string.IsNullOrWhiteSpace(final.QuestionPattern) ? "" : $" when /{final.QuestionPattern}/"));
        }

        if (gates.SelfConsistency is { } samples)
        {
            parts.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"self-consistency ×{samples.Samples} at temperature {samples.Temperature:0.##}"));
        }

        return parts.Count == 0 ? "no checks" : string.Join(", ", parts);
    }

    private static string Describe(RuleDefinition rule) => (rule.Enabled ? "" : "(disabled) ") + RuleText.Summarize(rule);
}
