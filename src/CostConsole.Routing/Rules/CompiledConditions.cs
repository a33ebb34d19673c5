using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace CostConsole.Routing.Rules;

/// <summary>A condition compiled when the rule set is published; <see cref="Matches"/> runs per request.</summary>
internal abstract class CompiledCondition
{
    /// <summary>Rough cost class: cheap tests run first, since all of a rule's conditions must hold.</summary>
    public abstract int Cost { get; }

    public abstract bool Matches(RuleEvaluation evaluation);
}

internal sealed class KeywordConditionCompiled(KeywordMatch match, int[][] phrases, KeywordIndex index) : CompiledCondition
{
    public override int Cost => 2;

    public override bool Matches(RuleEvaluation evaluation)
    {
        if (!evaluation.WordsScanned)
        {
            index.Scan(evaluation.Request.LastUserText, evaluation);
            evaluation.WordsScanned = true;
        }

        if (match == KeywordMatch.Any)
        {
            foreach (var phrase in phrases)
            {
                if (Contains(evaluation, phrase))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var phrase in phrases)
        {
            if (!Contains(evaluation, phrase))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Contains(RuleEvaluation evaluation, int[] phrase)
    {
        foreach (var word in phrase)
        {
            if (!evaluation.Contains(word))
            {
                return false;
            }
        }

        return phrase.Length == 1 || evaluation.Sequence.IndexOf(phrase) >= 0;
    }
}

internal sealed class RegexConditionCompiled(Regex regex) : CompiledCondition
{
    public override int Cost => 4;

    public override bool Matches(RuleEvaluation evaluation)
    {
        try
        {
            return regex.IsMatch(evaluation.Request.LastUserText);
        }
        catch (RegexMatchTimeoutException)
        {
            // A pattern that takes too long on this input counts as no match rather than holding the request.
            evaluation.AddNote($"regex /{regex}/ timed out after {regex.MatchTimeout.TotalMilliseconds:0} ms; treated as no match");
            return false;
        }
    }
}

internal sealed class TokenLengthConditionCompiled(long min, long max) : CompiledCondition
{
    public override int Cost => 3;

    public override bool Matches(RuleEvaluation evaluation)
    {
        var request = evaluation.Request;
        if (!request.PromptTokensKnown)
        {
            // Counting costs tens of microseconds on a long prompt; the bounds decide most rules without it.
            var ceiling = request.PromptTokenCeiling;
            if (ceiling < min)
            {
                return false;
            }

            if (ceiling <= max && request.PromptTokenFloor >= min)
            {
                return true;
            }
        }

        var tokens = request.PromptTokens;
        return tokens >= min && tokens <= max;
    }
}

internal sealed class MetadataConditionCompiled(string key, FrozenSet<string> values) : CompiledCondition
{
    public override int Cost => 1;

    public override bool Matches(RuleEvaluation evaluation) =>
        evaluation.Request.Metadata.TryGetValue(key, out var value) && (values.Count == 0 || values.Contains(value));
}

internal sealed class TagsConditionCompiled(FrozenSet<string> values) : CompiledCondition
{
    public override int Cost => 1;

    public override bool Matches(RuleEvaluation evaluation)
    {
        var tags = evaluation.Request.Tags;
        if (values.Count == 0)
        {
            return tags.Count > 0;
        }

        foreach (var tag in tags)
        {
            if (values.Contains(tag))
            {
                return true;
            }
        }

        return false;
    }
}

internal sealed class ToolsConditionCompiled(bool present) : CompiledCondition
{
    public override int Cost => 0;

    public override bool Matches(RuleEvaluation evaluation) => evaluation.Request.HasTools == present;
}

internal sealed class TurnsConditionCompiled(int min, int max) : CompiledCondition
{
    public override int Cost => 0;

    public override bool Matches(RuleEvaluation evaluation) =>
        evaluation.Request.UserTurns >= min && evaluation.Request.UserTurns <= max;
}

/// <summary>The request contains personal data of the chosen kinds (<paramref name="kinds"/> = 0: any kind); read from the request's one scan.</summary>
internal sealed class PersonalDataConditionCompiled(Privacy.PersonalDataDetector detector, ulong kinds) : CompiledCondition
{
    public override int Cost => 1;

    public override bool Matches(RuleEvaluation evaluation)
    {
        var found = evaluation.Request.DetectPersonalData(detector);
        return kinds == 0 ? found.Any : (found.KindMask & kinds) != 0;
    }
}

/// <summary>A published rule: its conditions in evaluation order and its precomputed trace text.</summary>
internal sealed class CompiledRule(string name, int position, CompiledCondition[] conditions, string summary, int? tierIndex, string? pinnedModelKey, string? hard = null)
{
    /// <summary>Why the rule moves a conversation past its affinity (it pins a model, tests personal data, or is marked hard); null when it yields.</summary>
    public string? Hard { get; } = hard is null ? null : $"rule #{position} '{name}' {hard}";

    public string Name { get; } = name;

    /// <summary>1-based position in the rule set, as the editor shows it.</summary>
    public int Position { get; } = position;

    public string Summary { get; } = summary;

    public string Reason { get; } = $"rule #{position} '{name}' matched: {summary}";

    public int? TierIndex { get; } = tierIndex;

    public string? PinnedModelKey { get; } = pinnedModelKey;

    public bool Matches(RuleEvaluation evaluation)
    {
        foreach (var condition in conditions)
        {
            if (!condition.Matches(evaluation))
            {
                return false;
            }
        }

        return true;
    }
}
