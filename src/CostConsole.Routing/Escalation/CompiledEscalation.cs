using System.Globalization;
using System.Text.RegularExpressions;
using CostConsole.Routing.Decisions;

namespace CostConsole.Routing.Escalation;

/// <summary>An <see cref="EscalationPolicy"/> checked and compiled against a snapshot's tiers and models.</summary>
public sealed class CompiledEscalation
{
    public static readonly CompiledEscalation None = new(0, []);

    private readonly CompiledGates?[] _byTierIndex;

    internal CompiledEscalation(int maxEscalations, CompiledGates?[] byTierIndex)
    {
        MaxEscalations = maxEscalations;
        _byTierIndex = byTierIndex;
    }

    public int MaxEscalations { get; }

    /// <summary>The gates of the tier at <paramref name="tierIndex"/>, or null when its answers are accepted as they are.</summary>
    public CompiledGates? For(int tierIndex) => (uint)tierIndex < (uint)_byTierIndex.Length ? _byTierIndex[tierIndex] : null;

    /// <summary>Checks <paramref name="policy"/> and adds every problem to <paramref name="errors"/>.</summary>
    internal static CompiledEscalation Compile(
        EscalationPolicy? policy,
        IReadOnlyList<string> tiers,
        IReadOnlyDictionary<string, int> tierIndex,
        IReadOnlyDictionary<string, RoutedModel> models,
        Func<string, string> unknown,
        TimeSpan regexTimeout,
        List<string> errors)
    {
        if (policy is null)
        {
            return None;
        }

        if (policy.MaxEscalations is < 0 or > EscalationPolicy.MaxAllowedEscalations)
        {
            errors.Add($"Escalation: at most {EscalationPolicy.MaxAllowedEscalations} escalations per request can be allowed (0 turns escalation off), not {policy.MaxEscalations}.");
        }

        var byTier = new CompiledGates?[tiers.Count];
        foreach (var gates in policy.Tiers)
        {
            if (!tierIndex.TryGetValue(gates.Tier ?? "", out var index))
            {
                errors.Add($"Escalation: gates are set for tier '{gates.Tier}', which does not exist.");
                continue;
            }

            if (byTier[index] is not null)
            {
                errors.Add($"Escalation: tier '{tiers[index]}' has gates defined more than once.");
                continue;
            }

            byTier[index] = CompiledGates.Compile(gates, tiers[index], models, unknown, regexTimeout, errors);
        }

        return new CompiledEscalation(Math.Clamp(policy.MaxEscalations, 0, EscalationPolicy.MaxAllowedEscalations), byTier);
    }
}

/// <summary>The quality gates of one tier, ready to check answers.</summary>
public sealed class CompiledGates
{
    private readonly Regex[] _mustMatch;
    private readonly Regex[] _mustNotMatch;
    private readonly string[] _refusals;

    private readonly Regex? _answerPattern;
    private readonly Regex? _answerQuestion;

    private CompiledGates(TierGates definition, Regex[] mustMatch, Regex[] mustNotMatch, RoutedModel? judge, Regex? answerPattern = null, Regex? answerQuestion = null)
    {
        Definition = definition;
        _mustMatch = mustMatch;
        _mustNotMatch = mustNotMatch;
        _answerPattern = answerPattern;
        _answerQuestion = answerQuestion;
        _refusals = [.. definition.RefusalPhrases.Where(p => !string.IsNullOrWhiteSpace(p)).Select(p => Normalise(p.Trim()))];
        Judge = judge;
    }

    public TierGates Definition { get; }

    public RoutedModel? Judge { get; }

    /// <summary>True when the confidence gate needs the answer's logprobs.</summary>
    public bool NeedsLogprobs => Definition.MinConfidence is not null;

    /// <summary>True when self-consistency asks this tier again.</summary>
    public bool NeedsSamples => Definition.SelfConsistency is { Samples: > 0 };

    /// <summary>The form of single answer <paramref name="question"/> asks for, as this tier's gates read it.</summary>
    public AnswerRequest Asked(string? question) => FinalAnswer.Asked(question, _answerPattern, _answerQuestion);

    /// <summary>The distinct final answers <paramref name="answer"/> states in the form <paramref name="asked"/>.</summary>
    public IReadOnlyList<string> FinalAnswers(string? answer, AnswerRequest asked) => FinalAnswer.Extract(answer, asked, _answerPattern);

    /// <summary>As <see cref="Check(AnswerFacts, string?, bool, string?, out double?)"/> without the request's question.</summary>
    public IReadOnlyList<GateResult> Check(AnswerFacts answer, bool wantsJson, string? schema, out double? confidence) =>
        Check(answer, null, wantsJson, schema, out confidence);

    /// <summary>
    /// Checks an answer against every gate but the judge and self-consistency (they call models); <paramref name="question"/>
    /// is the request's last user message, <paramref name="schema"/> its JSON schema, if any.
    /// </summary>
    public IReadOnlyList<GateResult> Check(AnswerFacts answer, string? question, bool wantsJson, string? schema, out double? confidence)
    {
        var results = new List<GateResult>(4);
        confidence = null;
        var content = answer.Content ?? "";

        // A function call carries arguments, not prose: no logprobs, often no text, and JSON mode does not apply to it.
        var toolCall = answer.ToolCalls && string.IsNullOrEmpty(answer.Content);
        if (Definition.MinConfidence is not null && toolCall)
        {
            results.Add(new GateResult("confidence", true, "a tool call; not checked"));
        }
        else if (Definition.MinConfidence is { } minimum)
        {
            confidence = Confidence.LowQuantile(answer.Logprobs, Definition.ConfidenceQuantile);
            var label = "p" + (Definition.ConfidenceQuantile * 100).ToString("0.#", CultureInfo.InvariantCulture);
            results.Add(confidence is { } value
                ? new GateResult("confidence", value >= minimum, string.Create(CultureInfo.InvariantCulture, $"{label} token probability {value:0.00} {(value >= minimum ? "≥" : "<")} {minimum:0.00}"))
                : new GateResult("confidence", true, "the provider returned no logprobs; not checked"));
        }

        if (Definition.EscalateOnTruncation)
        {
            var truncated = string.Equals(answer.FinishReason, "length", StringComparison.Ordinal);
            results.Add(new GateResult("truncation", !truncated, truncated ? "the answer was cut off by its token limit (finish_reason: length)" : "complete"));
        }

        if (Definition.ValidateJson && wantsJson && toolCall)
        {
            results.Add(new GateResult("json", true, "a tool call; not checked"));
        }
        else if (Definition.ValidateJson && wantsJson)
        {
            var problem = JsonAnswer.Problem(content, schema);
            results.Add(new GateResult("json", problem is null, problem ?? (schema is null ? "valid JSON" : "valid JSON matching the schema")));
        }

        if (_refusals.Length > 0)
        {
            var normalised = Normalise(content);
            var phrase = Array.Find(_refusals, p => normalised.Contains(p, StringComparison.OrdinalIgnoreCase));
            results.Add(new GateResult("refusal", phrase is null, phrase is null ? "no refusal phrase" : $"contains \"{phrase}\""));
        }

        foreach (var regex in toolCall ? [] : _mustMatch)
        {
            results.Add(Matches(regex, content) switch
            {
                true => new GateResult("must-match", true, $"matches /{regex}/"),
                false => new GateResult("must-match", false, $"does not match /{regex}/"),
                null => new GateResult("must-match", true, $"/{regex}/ took too long on this answer; not checked"),
            });
        }

        foreach (var regex in _mustNotMatch)
        {
            results.Add(Matches(regex, content) switch
            {
                true => new GateResult("must-not-match", false, $"matches /{regex}/"),
                false => new GateResult("must-not-match", true, $"does not match /{regex}/"),
                null => new GateResult("must-not-match", true, $"/{regex}/ took too long on this answer; not checked"),
            });
        }

        if (Definition.Arithmetic is { } arithmetic)
        {
            results.Add(Arithmetic(content, arithmetic.Tolerance));
        }

        if (Definition.FinalAnswer is not null)
        {
            results.Add(OneFinalAnswer(content, Asked(question)));
        }

        return results;
    }

    /// <summary>The arithmetic-consistency verdict on <paramref name="content"/>.</summary>
    public static GateResult Arithmetic(string content, decimal tolerance)
    {
        var report = ArithmeticConsistency.Check(content, tolerance);
        if (report.Consistent)
        {
            return new GateResult("arithmetic", true, report.Checked == 0 ? "no calculation to check" : $"{report.Checked} calculation(s) recomputed, all consistent");
        }

        var named = string.Join("; ", report.Slips.Take(3));
        return new GateResult("arithmetic", false, report.Slips.Count > 3 ? $"{named}; and {report.Slips.Count - 3} more" : named);
    }

    /// <summary>The one-final-answer verdict: exactly one answer in the asked form, or no check when the request asks for none.</summary>
    public GateResult OneFinalAnswer(string content, AnswerRequest asked)
    {
        if (asked.Form == AnswerForm.None)
        {
            return new GateResult("final-answer", true, "the request does not ask for a single answer");
        }

        var form = Describe(asked);
        var found = FinalAnswers(content, asked);
        return found.Count switch
        {
            0 => new GateResult("final-answer", false, $"asked for {form}, the answer states none"),
            1 => new GateResult("final-answer", true, $"asked for {form}, the answer states {found[0]}"),
            _ => new GateResult("final-answer", false, $"asked for {form}, the answer states {found.Count} different ones: {string.Join(", ", found.Take(4))}"),
        };
    }

    /// <summary>The asked form in words, e.g. "one of A–D".</summary>
    public static string Describe(AnswerRequest asked) => asked.Form switch
    {
        AnswerForm.OptionLetter => $"one of {asked.Letters[0]}–{asked.Letters[^1]}",
        AnswerForm.Number => "a number",
        AnswerForm.YesNo => "yes or no",
        AnswerForm.Pattern => "the pattern's answer",
        _ => "nothing in particular",
    };

    internal static CompiledGates Compile(TierGates gates, string tier, IReadOnlyDictionary<string, RoutedModel> models, Func<string, string> unknown, TimeSpan regexTimeout, List<string> errors)
    {
        var prefix = $"Escalation gates of tier '{tier}'";
        if (gates.MinConfidence is { } min && !(min is >= 0 and <= 1))
        {
            errors.Add($"{prefix}: the minimum confidence is a probability between 0 and 1, not {min.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (!(gates.ConfidenceQuantile is > 0 and <= 0.5))
        {
            errors.Add($"{prefix}: the confidence quantile must be above 0 and at most 0.5 (e.g. 0.1 for the 10th percentile), not {gates.ConfidenceQuantile.ToString(CultureInfo.InvariantCulture)}.");
        }

        Regex[] Patterns(IReadOnlyList<string> patterns, string what)
        {
            var compiled = new List<Regex>();
            foreach (var pattern in patterns)
            {
                if (SnapshotCompiler.CheckRegex(pattern, regexTimeout) is { } problem)
                {
                    errors.Add($"{prefix}: {what} pattern '{pattern}': {problem}");
                    continue;
                }

                compiled.Add(SnapshotCompiler.BuildRegex(pattern, regexTimeout));
            }

            return [.. compiled];
        }

        var mustMatch = Patterns(gates.MustMatch, "must-match");
        var mustNotMatch = Patterns(gates.MustNotMatch, "must-not-match");

        RoutedModel? judge = null;
        if (gates.Judge is { } definition)
        {
            if (string.IsNullOrWhiteSpace(definition.Model))
            {
                errors.Add($"{prefix}: the judge needs a model.");
            }
            else if (!models.TryGetValue(definition.Model, out judge))
            {
                errors.Add($"{prefix}: the judge names model {unknown(definition.Model)}.");
            }
            else if (judge.Model.Kind == Catalogue.ModelKind.Embedding)
            {
                errors.Add($"{prefix}: the judge names {judge.Key}, an embeddings model, which cannot grade answers; choose a chat model.");
                judge = null;
            }

            if (string.IsNullOrWhiteSpace(definition.Prompt)
                || !definition.Prompt.Contains(JudgeDefinition.QuestionPlaceholder, StringComparison.Ordinal)
                || !definition.Prompt.Contains(JudgeDefinition.AnswerPlaceholder, StringComparison.Ordinal))
            {
                errors.Add($"{prefix}: the judge prompt must contain {JudgeDefinition.QuestionPlaceholder} and {JudgeDefinition.AnswerPlaceholder}, where the question and the answer go.");
            }

            if (definition.MinScore is < 1 or > 5)
            {
                errors.Add($"{prefix}: the judge's minimum score is between 1 and 5, not {definition.MinScore}.");
            }
        }

        if (gates.Arithmetic is { Tolerance: var tolerance } && !(tolerance is > 0 and <= 100))
        {
            errors.Add($"{prefix}: the arithmetic tolerance is in units of the last shown digit, above 0 and at most 100 (0.5: not even a rounding), not {tolerance.ToString(CultureInfo.InvariantCulture)}.");
        }

        Regex? answerPattern = null;
        Regex? answerQuestion = null;
        if (gates.FinalAnswer is { } final)
        {
            if (!string.IsNullOrWhiteSpace(final.Pattern))
            {
                var compiled = Patterns([final.Pattern], "final-answer");
                if (compiled.Length == 1)
                {
                    answerPattern = compiled[0];
                    if (Array.IndexOf(answerPattern.GetGroupNames(), FinalAnswer.AnswerGroup) < 0)
                    {
                        errors.Add($"{prefix}: the final-answer pattern '{final.Pattern}' needs a named group (?<{FinalAnswer.AnswerGroup}>…) around the answer.");
                    }
                }
            }

            if (!string.IsNullOrWhiteSpace(final.QuestionPattern))
            {
                if (string.IsNullOrWhiteSpace(final.Pattern))
                {
                    errors.Add($"{prefix}: a question condition for the final answer needs a final-answer pattern too.");
                }

                var compiled = Patterns([final.QuestionPattern], "final-answer question");
                answerQuestion = compiled.Length == 1 ? compiled[0] : null;
            }
        }

        if (gates.SelfConsistency is { } samples)
        {
            if (samples.Samples is < 1 or > SelfConsistencyGate.MaxSamples)
            {
                errors.Add($"{prefix}: self-consistency asks the tier again 1 to {SelfConsistencyGate.MaxSamples} times, not {samples.Samples}.");
            }

            if (!(samples.Temperature is >= 0 and <= 2))
            {
                errors.Add($"{prefix}: the self-consistency temperature is from 0 to 2, not {samples.Temperature.ToString(CultureInfo.InvariantCulture)}.");
            }
        }

        return new CompiledGates(gates, mustMatch, mustNotMatch, judge, answerPattern, answerQuestion);
    }

    /// <summary>Null when a backtracking pattern timed out: too slow to decide, which is the pattern's fault, not the answer's.</summary>
    private static bool? Matches(Regex regex, string content)
    {
        try
        {
            return regex.IsMatch(content);
        }
        catch (RegexMatchTimeoutException)
        {
            return null;
        }
    }

    /// <summary>Typographic apostrophes as straight ones, so "I can’t" matches "I can't".</summary>
    private static string Normalise(string text) => text.Replace('\u2019', '\'').Replace('\u2018', '\'');
}

/// <summary>
/// What the gates read of an answer: its text, why it ended, its tokens' log probabilities, and whether it calls
/// tools (then it may have no text at all, and the gates that read text have nothing to judge).
/// </summary>
public sealed record AnswerFacts(string? Content, string? FinishReason, IReadOnlyList<double>? Logprobs, bool ToolCalls = false);
