using System.Globalization;
using System.Text;

namespace CostConsole.Routing.Rules;

/// <summary>The one-line summaries people read in the editor, the trace and the ledger.</summary>
public static class RuleText
{
    public static string Summarize(RuleDefinition rule)
    {
        var conditions = rule.Conditions.Count == 0
            ? "always"
            : string.Join(" and ", rule.Conditions.Select(Describe));
        return conditions + " → " + DescribeAction(rule.Action);
    }

    public static string DescribeAction(RuleAction action) =>
        action.Model is { Length: > 0 } model ? "model " + model : action.Tier ?? "?";

    public static string Describe(RuleCondition condition) => condition switch
    {
        KeywordCondition k => (k.Match == KeywordMatch.All ? "contains all of " : "contains any of ") + string.Join(", ", k.Keywords),
        RegexCondition r => "matches /" + r.Pattern + "/",
        TokenLengthCondition t => "prompt " + Range(t.Min, t.Max) + " tokens",
        MetadataCondition m when m.Values.Count == 0 => "has " + m.Key,
        MetadataCondition m => m.Key + (m.Values.Count == 1 ? " = " + m.Values[0] : " in [" + string.Join(", ", m.Values) + "]"),
        ToolsCondition { Present: true } => "tools present",
        ToolsCondition => "no tools",
        TurnsCondition t => Range(t.Min, t.Max) + " user turns",
        PersonalDataCondition { Kinds.Count: 0 } => "contains personal data",
        PersonalDataCondition p => "contains personal data (" + string.Join(", ", p.Kinds) + ")",
        _ => condition.GetType().Name,
    };

    private static string Range(long? min, long? max)
    {
        var text = new StringBuilder();
        if (min is { } lo && max is { } hi)
        {
            text.Append(CultureInfo.InvariantCulture, $"{lo}–{hi}");
        }
        else if (min is { } onlyLo)
        {
            text.Append(CultureInfo.InvariantCulture, $"≥ {onlyLo}");
        }
        else if (max is { } onlyHi)
        {
            text.Append(CultureInfo.InvariantCulture, $"≤ {onlyHi}");
        }
        else
        {
            text.Append("any number of");
        }

        return text.ToString();
    }
}
