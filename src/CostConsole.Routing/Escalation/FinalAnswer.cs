using System.Globalization;
using System.Text.RegularExpressions;

namespace CostConsole.Routing.Escalation;

/// <summary>The form of single answer a request asks for.</summary>
public enum AnswerForm
{
    /// <summary>The request does not ask for one answer: nothing to extract.</summary>
    None,

    /// <summary>One of the option letters the question lists, e.g. (A) … (D).</summary>
    OptionLetter,

    /// <summary>A number: how many, how much, the total.</summary>
    Number,

    /// <summary>Yes or no, when the question asks for it in so many words.</summary>
    YesNo,

    /// <summary>What the admin's pattern captures in its <c>answer</c> group.</summary>
    Pattern,
}

/// <summary>What a request asks for: the form of its single answer and, for options, the letters it lists.</summary>
public sealed record AnswerRequest(AnswerForm Form, string Letters)
{
    public static readonly AnswerRequest None = new(AnswerForm.None, "");
}

/// <summary>
/// Built-in extractors of an answer's final answer: which form the question asks for, and every final answer the
/// text states in that form (normalised, so "B" and "(B)", "1,200" and "1200.00" compare equal).
/// </summary>
public static partial class FinalAnswer
{
    public const string AnswerGroup = "answer";

    /// <summary>The form of answer <paramref name="question"/> asks for; an admin pattern wins when given and the question matches its condition.</summary>
    public static AnswerRequest Asked(string? question, Regex? pattern = null, Regex? questionCondition = null)
    {
        question ??= "";
        if (pattern is not null && (questionCondition is null || SafeIsMatch(questionCondition, question)))
        {
            return new AnswerRequest(AnswerForm.Pattern, "");
        }

        var letters = ListedLetters(question);
        if (letters.Length >= 2)
        {
            return new AnswerRequest(AnswerForm.OptionLetter, letters);
        }

        if (YesNoQuestion().IsMatch(question))
        {
            return new AnswerRequest(AnswerForm.YesNo, "");
        }

        return NumberQuestion().IsMatch(question) ? new AnswerRequest(AnswerForm.Number, "") : AnswerRequest.None;
    }

    /// <summary>Every distinct final answer <paramref name="answer"/> states in the asked form, normalised.</summary>
    public static IReadOnlyList<string> Extract(string? answer, AnswerRequest asked, Regex? pattern = null)
    {
        answer ??= "";
        var found = new List<string>(2);
        switch (asked.Form)
        {
            case AnswerForm.OptionLetter:
                foreach (Match match in LetterMarker().Matches(answer))
                {
                    var letter = match.Groups[1].Value;
                    if (asked.Letters.Contains(letter, StringComparison.Ordinal))
                    {
                        AddDistinct(found, letter);
                    }
                }

                break;
            case AnswerForm.Number:
                foreach (Match match in NumberMarker().Matches(answer))
                {
                    if (Normalise(match.Groups[1].Value) is { } number)
                    {
                        AddDistinct(found, number);
                    }
                }

                if (found.Count == 0 && LastNumber(answer) is { } last)
                {
                    // No explicit "the answer is": the last number stated is the answer.
                    found.Add(last);
                }

                break;
            case AnswerForm.YesNo:
                if (LeadingYesNo().Match(answer) is { Success: true } lead)
                {
                    AddDistinct(found, lead.Groups[1].Value.ToLowerInvariant());
                }

                foreach (Match match in YesNoMarker().Matches(answer))
                {
                    AddDistinct(found, match.Groups[1].Value.ToLowerInvariant());
                }

                break;
            case AnswerForm.Pattern when pattern is not null:
                try
                {
                    foreach (Match match in pattern.Matches(answer))
                    {
                        var value = match.Groups[AnswerGroup].Value.Trim();
                        if (value.Length > 0)
                        {
                            AddDistinct(found, Normalise(value) ?? value.ToLowerInvariant());
                        }
                    }
                }
                catch (RegexMatchTimeoutException)
                {
                    return found;
                }

                break;
        }

        return found;
    }

    /// <summary>A number as digits without separators or trailing zeros, or null when it is not one.</summary>
    public static string? Normalise(string text)
    {
        var cleaned = text.Trim().TrimStart('$', '€', '£').TrimEnd('.', '%').Replace(",", "", StringComparison.Ordinal);
        return decimal.TryParse(cleaned, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            ? (value / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture)
            : null;
    }

    /// <summary>The option letters a question lists at line starts or inline as (A) (B) …, when they run A, B, C… in order.</summary>
    private static string ListedLetters(string question)
    {
        Span<bool> seen = stackalloc bool[10];
        foreach (Match match in OptionLine().Matches(question))
        {
            seen[match.Groups[1].Value[0] - 'A'] = true;
        }

        var inline = InlineOption().Matches(question);
        if (inline.Count >= 2)
        {
            foreach (Match match in inline)
            {
                seen[match.Groups[1].Value[0] - 'A'] = true;
            }
        }

        var letters = "";
        for (var i = 0; i < seen.Length && seen[i]; i++)
        {
            letters += (char)('A' + i);
        }

        return letters;
    }

    private static string? LastNumber(string answer)
    {
        var matches = AnyNumber().Matches(answer);
        return matches.Count == 0 ? null : Normalise(matches[^1].Value);
    }

    private static void AddDistinct(List<string> found, string value)
    {
        if (!found.Contains(value, StringComparer.Ordinal))
        {
            found.Add(value);
        }
    }

    private static bool SafeIsMatch(Regex regex, string text)
    {
        try
        {
            return regex.IsMatch(text);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"^[ \t]*\(?([A-J])[\).:][ \t]+\S", RegexOptions.Multiline, 200)]
    private static partial Regex OptionLine();

    [GeneratedRegex(@"\(([A-J])\)[ \t]+\S", RegexOptions.None, 200)]
    private static partial Regex InlineOption();

    [GeneratedRegex(@"\b(yes or no|yes/no|yes-or-no|true or false)\b", RegexOptions.IgnoreCase, 200)]
    private static partial Regex YesNoQuestion();

    [GeneratedRegex(@"\b(how (many|much|long|far|old)|what (is|was|will be|are) the (total|sum|number|amount|value|price|cost|difference|product|average|balance|refund)|calculate|compute)\b", RegexOptions.IgnoreCase, 200)]
    private static partial Regex NumberQuestion();

    [GeneratedRegex(@"(?:[Aa]nswer\s*(?:is|IS|:|=)|\\boxed\{)\s*(?:[Oo]ption\s*)?[\*\(\[\s]*([A-J])(?![A-Za-z])", RegexOptions.None, 200)]
    private static partial Regex LetterMarker();

    [GeneratedRegex(@"(?:[Aa]nswer\s*(?:is|:|=)|\\boxed\{|####)\s*\**\s*[\$€£]?\s*(-?\d[\d,]*(?:\.\d+)?)", RegexOptions.None, 200)]
    private static partial Regex NumberMarker();

    [GeneratedRegex(@"-?\d[\d,]*(?:\.\d+)?", RegexOptions.None, 200)]
    private static partial Regex AnyNumber();

    [GeneratedRegex(@"^\W*(yes|no)\b", RegexOptions.IgnoreCase, 200)]
    private static partial Regex LeadingYesNo();

    [GeneratedRegex(@"answer\s*(?:is|:)\s*\**\s*""?(yes|no)\b", RegexOptions.IgnoreCase, 200)]
    private static partial Regex YesNoMarker();
}
