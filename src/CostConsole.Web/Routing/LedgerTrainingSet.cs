using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Requests;
using CostConsole.Training;

namespace CostConsole.Web.Routing;

/// <summary>Where a ledger label came from.</summary>
public static class LedgerLabelSources
{
    public const string Feedback = "feedback";
    public const string Escalation = "escalation";
    public const string Judge = "judge";
    public const string Review = "review";

    public static readonly IReadOnlyList<string> All = [Feedback, Escalation, Judge, Review];
}

/// <summary>What the ledger holds about one request that can teach the router.</summary>
/// <param name="Propensity">The probability with which the served tier was chosen, when the router recorded one (exploration on).</param>
public sealed record LedgerTrainingRow(
    string RequestId,
    string? Tier,
    string? Prompt,
    string? RoutingInput,
    bool PromptRedacted,
    int Review,
    string? AttemptsJson,
    bool? Resolved,
    int? Csat,
    double? Propensity);

/// <summary>What reading the ledger found: examples per source and per tier, and the rows left out and why.</summary>
public sealed record LedgerTrainingSummary
{
    public required DateTimeOffset From { get; init; }

    public required DateTimeOffset To { get; init; }

    /// <summary>Labelled examples (requests with a stored prompt and at least one label).</summary>
    public required int Examples { get; init; }

    /// <summary>Examples each source contributed to (a request can carry several).</summary>
    public required IReadOnlyDictionary<string, int> PerSource { get; init; }

    /// <summary>Examples per cheapest acceptable tier, "none" when no tier was acceptable.</summary>
    public required IReadOnlyDictionary<string, int> PerTier { get; init; }

    /// <summary>Requests with a label that were left out, by reason.</summary>
    public required IReadOnlyDictionary<string, int> Skipped { get; init; }

    /// <summary>Examples whose prompt was stored redacted (personal data replaced by placeholders) and used as stored.</summary>
    public required int Redacted { get; init; }

    /// <summary>Examples served by exploration, weighted by the inverse of their recorded propensity.</summary>
    public required int Weighted { get; init; }
}

/// <summary>
/// Turns ledger rows into the labelled format a file gives (<see cref="LabelledSet"/>): for each tier of a request,
/// whether its answer was acceptable. Outcome feedback says so of the served tier (resolved, or CSAT 4–5 → acceptable;
/// not resolved, or CSAT 1–2 → not); an escalation says the tiers whose answers failed their gates were not and the
/// one that passed was; a judge score grades the tier it judged ((score − 1) / 4); a request in the review queue
/// failed even its top tier. An acceptable tier makes every tier above it acceptable too, and an unacceptable one
/// every tier below. A person's word (review, then feedback) wins over a judge's, which wins over the gates.
/// </summary>
public static partial class LedgerTrainingSet
{
    public const string SkippedNoPrompt = "no stored prompt";
    public const string SkippedUnknownTier = "tier no longer in the router";

    /// <summary>Explored answers count at most this many times, so one lucky exploration cannot swamp the set.</summary>
    public const double MaxWeight = 50;

    private static readonly JsonSerializerOptions AttemptJson = new(JsonSerializerDefaults.Web);

    public static (LabelledSet Set, LedgerTrainingSummary Summary) Build(
        IEnumerable<LedgerTrainingRow> rows, IReadOnlyList<string> tiers, DateTimeOffset from, DateTimeOffset to)
    {
        var examples = new List<LabelledPrompt>();
        var perSource = LedgerLabelSources.All.ToDictionary(s => s, _ => 0);
        var skipped = new Dictionary<string, int>();
        int redacted = 0, weighted = 0;
        foreach (var row in rows)
        {
            var (quality, sources, unknownTier) = Label(row, tiers);
            if (sources.Count == 0)
            {
                if (unknownTier)
                {
                    skipped[SkippedUnknownTier] = skipped.GetValueOrDefault(SkippedUnknownTier) + 1;
                }

                continue;
            }

            var input = CostConsole.Routing.Requests.RoutingInput.FromJson(row.RoutingInput);
            var prompt = input?.LastUserText is { Length: > 0 } last ? last : row.Prompt;
            if (string.IsNullOrWhiteSpace(prompt))
            {
                skipped[SkippedNoPrompt] = skipped.GetValueOrDefault(SkippedNoPrompt) + 1;
                continue;
            }

            foreach (var source in sources)
            {
                perSource[source]++;
            }

            redacted += row.PromptRedacted ? 1 : 0;
            var weight = 1.0;
            if (row.Propensity is > 0 and < 1 and var p)
            {
                weight = Math.Min(1 / p, MaxWeight);
                weighted += 1;
            }

            examples.Add(new LabelledPrompt(prompt, quality, examples.Count + 1)
            {
                UserTurns = Math.Max(input?.UserTurns ?? 1, 1),
                HasTools = input?.HasTools ?? false,
                Weight = weight,
            });
        }

        var set = new LabelledSet(tiers, examples, string.Create(CultureInfo.InvariantCulture, $"ledger {from:yyyy-MM-dd HH:mm}–{to:yyyy-MM-dd HH:mm} UTC"));
        return (set, new LedgerTrainingSummary
        {
            From = from,
            To = to,
            Examples = examples.Count,
            PerSource = perSource,
            PerTier = set.CheapestAcceptableCounts(),
            Skipped = skipped,
            Redacted = redacted,
            Weighted = weighted,
        });
    }

    /// <summary>Per tier, how acceptable the request's answer from it was (null: unknown), and which sources said so.</summary>
    internal static (double?[] Quality, List<string> Sources, bool UnknownTier) Label(LedgerTrainingRow row, IReadOnlyList<string> tiers)
    {
        var quality = new double?[tiers.Count];
        var sources = new List<string>();
        var unknownTier = false;
        var attempts = Attempts(row.AttemptsJson);

        // Weakest evidence first; each stronger source overwrites what it speaks about.
        if (attempts.Any(a => a.Kind == AttemptKind.Escalation))
        {
            var said = false;
            foreach (var attempt in attempts.Where(a => a.Kind is not (AttemptKind.Judge or AttemptKind.Sample) && a.Gates is { Count: > 0 } && a.Status == 200))
            {
                // The judge's own verdict is read below as a score, not as a gate.
                var gates = attempt.Gates!.Where(g => g.Gate != "judge").ToList();
                if (gates.Count == 0)
                {
                    continue;
                }

                said |= Set(quality, tiers, attempt.Tier, gates.All(g => g.Passed) ? 1 : 0, ref unknownTier);
            }

            if (said)
            {
                sources.Add(LedgerLabelSources.Escalation);
            }
        }

        var judged = false;
        foreach (var attempt in attempts.Where(a => a.Gates is not null))
        {
            foreach (var gate in attempt.Gates!.Where(g => g.Gate == "judge"))
            {
                if (JudgeScore().Match(gate.Detail) is { Success: true } match)
                {
                    var score = int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
                    judged |= Set(quality, tiers, attempt.Tier, (Math.Clamp(score, 1, 5) - 1) / 4.0, ref unknownTier);
                }
            }
        }

        if (judged)
        {
            sources.Add(LedgerLabelSources.Judge);
        }

        // The answer the customer judged came from the last tier that answered (an escalation's, not the decision's).
        var answered = attempts.LastOrDefault(a => a.Kind is not (AttemptKind.Judge or AttemptKind.Sample) && a.Status == 200)?.Tier;
        if ((row.Resolved is not null || row.Csat is not null) && (answered ?? row.Tier) is { } served)
        {
            double? outcome = row.Resolved switch
            {
                true => row.Csat is <= 2 ? 0.5 : 1,
                false => 0,
                null => row.Csat switch { >= 4 => 1, <= 2 => 0, _ => 0.5 },
            };
            if (Set(quality, tiers, served, outcome.Value, ref unknownTier))
            {
                sources.Add(LedgerLabelSources.Feedback);
            }
        }

        if (row.Review != (int)ReviewState.None)
        {
            // Even the top tier's answer failed its gates: every tier tried fell short.
            var said = false;
            foreach (var tier in attempts.Where(a => a.Kind is not (AttemptKind.Judge or AttemptKind.Sample)).Select(a => a.Tier).Append(row.Tier).OfType<string>().Distinct())
            {
                said |= Set(quality, tiers, tier, 0, ref unknownTier);
            }

            if (said)
            {
                sources.Add(LedgerLabelSources.Review);
            }
        }

        Complete(quality);
        return (quality, sources, unknownTier);
    }

    /// <summary>An acceptable tier makes every unknown tier above it acceptable; an unacceptable one every unknown tier below it unacceptable.</summary>
    private static void Complete(double?[] quality)
    {
        var known = (double?[])quality.Clone();
        for (var t = 0; t < known.Length; t++)
        {
            if (known[t] >= 0.5)
            {
                for (var above = t + 1; above < quality.Length; above++)
                {
                    quality[above] ??= 1;
                }
            }
            else if (known[t] is not null)
            {
                for (var below = 0; below < t; below++)
                {
                    quality[below] ??= 0;
                }
            }
        }
    }

    private static bool Set(double?[] quality, IReadOnlyList<string> tiers, string tier, double value, ref bool unknownTier)
    {
        for (var i = 0; i < tiers.Count; i++)
        {
            if (string.Equals(tiers[i], tier, StringComparison.OrdinalIgnoreCase))
            {
                quality[i] = value;
                return true;
            }
        }

        unknownTier = true;
        return false;
    }

    private static List<AttemptRecord> Attempts(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<AttemptRecord>>(json, AttemptJson) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    [GeneratedRegex(@"scored (\d)/5", RegexOptions.CultureInvariant)]
    private static partial Regex JudgeScore();
}
