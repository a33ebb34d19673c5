using CostConsole.Routing.Escalation;

namespace CostConsole.Web.Escalation;

/// <summary>One point of a quality-versus-share-escalated curve.</summary>
public sealed record CurvePoint(double Share, double Quality);

/// <summary>Keeping every answer at one tier: its mean quality and, when the file gives costs, its mean cost per request.</summary>
public sealed record TierBaseline(double Quality, decimal? CostPerRequest);

/// <summary>
/// What one gate (or the whole policy) would have done on the labelled file: the share it escalates, precision
/// (escalated answers that were wrong), recall (wrong answers caught), and the cascade — keep the cheap answer unless
/// escalated, else take the large one — against a random escalation of the same share.
/// </summary>
public sealed record GateEvaluation(string Gate, bool Evaluated, string? Note)
{
    /// <summary>False for a built-in gate the tier has off, measured to show what turning it on would do; it is not part of the policy's figures.</summary>
    public bool InPolicy { get; init; } = true;

    public int Escalated { get; init; }

    public double ShareEscalated { get; init; }

    public double? Precision { get; init; }

    public double? Recall { get; init; }

    public double CascadeQuality { get; init; }

    /// <summary>The expected quality of escalating the same share at random.</summary>
    public double RandomQuality { get; init; }

    /// <summary>The share of the quality gap between all-small and all-large the cascade recovers.</summary>
    public double? Pgr { get; init; }

    /// <summary>What a random escalation of the same share recovers: the share itself.</summary>
    public double? RandomPgr { get; init; }

    /// <summary>Calls to the large tier per request (the share escalated: each escalation is one).</summary>
    public double LargeCallsPerRequest { get; init; }

    public decimal? CostPerRequest { get; init; }

    /// <summary>For scored gates (confidence, judge): quality as more and more of the lowest-scored answers are escalated.</summary>
    public IReadOnlyList<CurvePoint>? Curve { get; init; }

    /// <summary>A few reasons the gate gave, e.g. the arithmetic slips it found.</summary>
    public IReadOnlyList<string> Examples { get; init; } = [];
}

/// <summary>The evaluation of a tier's gates on a labelled file.</summary>
public sealed record EscalationEvaluationResult(
    TierPair Tiers,
    int Rows,
    int SkippedRows,
    int RuleSetVersion,
    bool Draft,
    TierBaseline AllSmall,
    TierBaseline AllLarge,
    IReadOnlyList<GateEvaluation> Gates,
    GateEvaluation Policy)
{
    /// <summary>The rule set's router on the same file, alone and with the answer checks behind it; null when it was not run.</summary>
    public RouteCascadeEvaluation? Routing { get; init; }
}

/// <summary>
/// Where requests end up: the share that got an answer from the large tier (routed there, or escalated to it), the
/// quality and cost that gives, and the share of the all-small to all-large quality gap it recovers.
/// </summary>
public sealed record RoutePoint(double? QualityTarget, double LargeShare, double Quality, decimal? CostPerRequest, double? Pgr);

/// <summary>
/// The router and the cascade together: what routing alone gives on the file, and what routing gives when the
/// answers it leaves on the cheap tier are checked by the policy's gates (a failed answer is escalated). With a
/// trained classifier, both again at each quality target (requests a rule decides keep the rule's tier).
/// </summary>
public sealed record RouteCascadeEvaluation(
    string Router,
    RoutePoint Routing,
    RoutePoint RoutingAndCascade,
    IReadOnlyList<RoutePoint> RoutingCurve,
    IReadOnlyList<RoutePoint> RoutingAndCascadeCurve);

/// <summary>A router's choice for each row of the file: whether it goes above the cheap tier, and the same per quality target when the router has one.</summary>
public sealed record RoutedRows(string Router, IReadOnlyList<bool> Large, IReadOnlyList<(double Target, IReadOnlyList<bool> Large)> Curve);

/// <summary>Runs a tier's compiled gates over labelled answers, offline: no model is called.</summary>
public static class EscalationEvaluation
{
    private const int MaxCurvePoints = 101;
    private const int MaxExamples = 5;
    private const string WhatIfSuffix = " (off)";

    /// <summary>Gates that need what a file does not hold, with the reason, when the policy has them on.</summary>
    private static readonly string[] Offline = ["confidence", "judge"];

    public static EscalationEvaluationResult Evaluate(LabelledAnswerSet set, CompiledGates? gates, TierPair tiers, int ruleSetVersion, bool draft, RoutedRows? routed = null)
    {
        var rows = set.Rows;
        var n = rows.Count;
        var flags = new Dictionary<string, bool[]>(StringComparer.Ordinal);
        var examples = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var notes = new List<GateEvaluation>();

        if (gates is not null)
        {
            var definition = gates.Definition;
            for (var i = 0; i < n; i++)
            {
                var row = rows[i];
                foreach (var result in gates.Check(new AnswerFacts(row.SmallResponse, null, null), row.Prompt, false, null, out _))
                {
                    if (result.Gate is "confidence" or "truncation" or "json")
                    {
                        continue;
                    }

                    Flag(flags, examples, result.Gate, i, n, result.Passed ? null : $"line {row.Line}: {result.Detail}");
                }

                if (definition.MinConfidence is { } minimum && set.HasConfidence)
                {
                    var failed = row.SmallConfidence is { } confidence && confidence < minimum;
                    Flag(flags, examples, "confidence", i, n, failed ? $"line {row.Line}: confidence {row.SmallConfidence:0.00} < {minimum:0.00}" : null);
                }

                if (definition.Judge is { } judge && set.HasJudge)
                {
                    var failed = row.SmallJudge is { } score && score < judge.MinScore;
                    Flag(flags, examples, "judge", i, n, failed ? $"line {row.Line}: judge scored {row.SmallJudge:0.#}/5 (minimum {judge.MinScore})" : null);
                }
            }

            for (var i = 0; i < n; i++)
            {
                var row = rows[i];
                if (definition.Arithmetic is null)
                {
                    var result = CompiledGates.Arithmetic(row.SmallResponse, ArithmeticConsistency.DefaultTolerance);
                    Flag(flags, examples, WhatIf("arithmetic"), i, n, result.Passed ? null : $"line {row.Line}: {result.Detail}");
                }

                if (definition.FinalAnswer is null && FinalAnswer.Asked(row.Prompt) is { Form: not AnswerForm.None } asked)
                {
                    var found = FinalAnswer.Extract(row.SmallResponse, asked);
                    Flag(flags, examples, WhatIf("final-answer"), i, n, found.Count == 1 ? null : $"line {row.Line}: asked for {CompiledGates.Describe(asked)}, the answer states {(found.Count == 0 ? "none" : string.Join(", ", found))}");
                }
                else if (definition.FinalAnswer is null)
                {
                    Flag(flags, examples, WhatIf("final-answer"), i, n, null);
                }
            }

            if (definition.MinConfidence is not null && !set.HasConfidence)
            {
                notes.Add(new GateEvaluation("confidence", false, $"not evaluated: the file has no '{tiers.SmallModel}_confidence' column (0–1)"));
            }

            if (definition.Judge is not null && !set.HasJudge)
            {
                notes.Add(new GateEvaluation("judge", false, $"not evaluated: the file has no '{tiers.SmallModel}_judge' column (1–5)"));
            }

            if (definition.SelfConsistency is not null)
            {
                notes.Add(new GateEvaluation("self-consistency", false, "not evaluated: it needs new samples from the model; watch it on live traffic"));
            }

            if (definition.EscalateOnTruncation)
            {
                notes.Add(new GateEvaluation("truncation", false, "not evaluated: the file holds no finish reasons"));
            }
        }

        var qualitySmall = rows.Average(r => r.SmallQuality);
        var qualityLarge = rows.Average(r => r.LargeQuality);
        var allSmall = new TierBaseline(qualitySmall, set.HasCosts ? rows.Average(r => r.SmallCost!.Value) : null);
        var allLarge = new TierBaseline(qualityLarge, set.HasCosts ? rows.Average(r => r.LargeCost!.Value) : null);

        var evaluations = new List<GateEvaluation>();
        foreach (var (key, flagged) in flags)
        {
            var inPolicy = !key.EndsWith(WhatIfSuffix, StringComparison.Ordinal);
            var gate = inPolicy ? key : key[..^WhatIfSuffix.Length];
            var evaluation = Measure(gate, flagged, rows, set.HasCosts) with
            {
                Examples = examples.GetValueOrDefault(key) ?? [],
                InPolicy = inPolicy,
                Note = inPolicy ? null : "off in this policy: what turning it on would do",
            };
            if (Array.IndexOf(Offline, gate) >= 0)
            {
                evaluation = evaluation with { Curve = Curve(rows, gate == "confidence" ? r => r.SmallConfidence : r => r.SmallJudge) };
            }

            evaluations.Add(evaluation);
        }

        var any = new bool[n];
        foreach (var flagged in flags.Where(f => !f.Key.EndsWith(WhatIfSuffix, StringComparison.Ordinal)).Select(f => f.Value))
        {
            for (var i = 0; i < n; i++)
            {
                any[i] |= flagged[i];
            }
        }

        var policy = Measure("policy", any, rows, set.HasCosts) with
        {
            Note = gates is null ? $"tier '{tiers.SmallTier}' has no gates: every answer is kept" : null,
        };
        evaluations.AddRange(notes);
        return new EscalationEvaluationResult(tiers, n, set.Skipped, ruleSetVersion, draft, allSmall, allLarge, evaluations, policy)
        {
            Routing = routed is null ? null : new RouteCascadeEvaluation(
                routed.Router,
                Route(rows, routed.Large, null, set.HasCosts, null),
                Route(rows, routed.Large, any, set.HasCosts, null),
                [.. routed.Curve.Select(p => Route(rows, p.Large, null, set.HasCosts, p.Target))],
                [.. routed.Curve.Select(p => Route(rows, p.Large, any, set.HasCosts, p.Target))]),
        };
    }

    /// <summary>
    /// Routes each row as <paramref name="large"/> says; a row left on the cheap tier is escalated when
    /// <paramref name="escalated"/> flags its answer (none when null).
    /// </summary>
    public static RoutePoint Route(IReadOnlyList<LabelledAnswer> rows, IReadOnlyList<bool> large, IReadOnlyList<bool>? escalated, bool withCosts, double? target)
    {
        var n = rows.Count;
        double quality = 0, small = 0, top = 0;
        var largeCalls = 0;
        decimal cost = 0;
        for (var i = 0; i < n; i++)
        {
            var row = rows[i];
            small += row.SmallQuality;
            top += row.LargeQuality;
            if (large[i])
            {
                largeCalls++;
                quality += row.LargeQuality;
                cost += withCosts ? row.LargeCost!.Value : 0m;
            }
            else if (escalated is not null && escalated[i])
            {
                largeCalls++;
                quality += row.LargeQuality;
                cost += withCosts ? row.SmallCost!.Value + row.LargeCost!.Value : 0m;
            }
            else
            {
                quality += row.SmallQuality;
                cost += withCosts ? row.SmallCost!.Value : 0m;
            }
        }

        var gap = (top - small) / Math.Max(n, 1);
        return new RoutePoint(
            target,
            n == 0 ? 0 : (double)largeCalls / n,
            n == 0 ? 0 : quality / n,
            withCosts && n > 0 ? cost / n : null,
            Math.Abs(gap) < 1e-12 ? null : ((quality - small) / n) / gap);
    }

    /// <summary>The metrics of escalating exactly the <paramref name="escalated"/> rows.</summary>
    public static GateEvaluation Measure(string gate, IReadOnlyList<bool> escalated, IReadOnlyList<LabelledAnswer> rows, bool withCosts)
    {
        var n = rows.Count;
        double caught = 0, wrong = 0, cascade = 0, small = 0, large = 0;
        var count = 0;
        decimal cost = 0;
        for (var i = 0; i < n; i++)
        {
            var row = rows[i];
            var miss = 1 - row.SmallQuality;
            wrong += miss;
            small += row.SmallQuality;
            large += row.LargeQuality;
            if (escalated[i])
            {
                count++;
                caught += miss;
                cascade += row.LargeQuality;
            }
            else
            {
                cascade += row.SmallQuality;
            }

            if (withCosts)
            {
                cost += row.SmallCost!.Value + (escalated[i] ? row.LargeCost!.Value : 0m);
            }
        }

        var share = n == 0 ? 0 : (double)count / n;
        var qualitySmall = small / n;
        var qualityLarge = large / n;
        var gap = qualityLarge - qualitySmall;
        var cascadeQuality = cascade / n;
        return new GateEvaluation(gate, true, null)
        {
            Escalated = count,
            ShareEscalated = share,
            Precision = count == 0 ? null : caught / count,
            Recall = wrong <= 0 ? null : caught / wrong,
            CascadeQuality = cascadeQuality,
            RandomQuality = qualitySmall + (share * gap),
            Pgr = Math.Abs(gap) < 1e-12 ? null : (cascadeQuality - qualitySmall) / gap,
            RandomPgr = Math.Abs(gap) < 1e-12 ? null : share,
            LargeCallsPerRequest = share,
            CostPerRequest = withCosts ? cost / n : null,
        };
    }

    /// <summary>
    /// Quality against the share escalated when answers are escalated lowest score first; rows without a score are
    /// escalated last. Tied scores move together, as a threshold would move them.
    /// </summary>
    public static IReadOnlyList<CurvePoint> Curve(IReadOnlyList<LabelledAnswer> rows, Func<LabelledAnswer, double?> score)
    {
        var n = rows.Count;
        var order = Enumerable.Range(0, n).OrderBy(i => score(rows[i]) ?? double.PositiveInfinity).ToArray();
        var quality = rows.Sum(r => r.SmallQuality);
        var points = new List<CurvePoint>(Math.Min(n + 1, 1024)) { new(0, quality / n) };
        for (var k = 0; k < n;)
        {
            var value = score(rows[order[k]]);
            do
            {
                var row = rows[order[k]];
                quality += row.LargeQuality - row.SmallQuality;
                k++;
            }
            while (k < n && Nullable.Equals(score(rows[order[k]]), value));

            points.Add(new CurvePoint((double)k / n, quality / n));
        }

        if (points.Count <= MaxCurvePoints)
        {
            return points;
        }

        // Evenly spaced along the share, always keeping both ends.
        var thinned = new List<CurvePoint>(MaxCurvePoints);
        var next = 0.0;
        foreach (var point in points)
        {
            if (point.Share >= next || ReferenceEquals(point, points[^1]))
            {
                thinned.Add(point);
                next = point.Share + (1.0 / (MaxCurvePoints - 1));
            }
        }

        return thinned;
    }

    private static string WhatIf(string gate) => gate + WhatIfSuffix;

    private static void Flag(Dictionary<string, bool[]> flags, Dictionary<string, List<string>> examples, string gate, int index, int count, string? failure)
    {
        if (!flags.TryGetValue(gate, out var flagged))
        {
            flags[gate] = flagged = new bool[count];
        }

        if (failure is null)
        {
            return;
        }

        flagged[index] = true;
        if (!examples.TryGetValue(gate, out var list))
        {
            examples[gate] = list = [];
        }

        if (list.Count < MaxExamples)
        {
            list.Add(failure.Length <= 200 ? failure : failure[..200] + "…");
        }
    }
}
