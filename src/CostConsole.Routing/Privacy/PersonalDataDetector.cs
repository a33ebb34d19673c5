using System.Text.RegularExpressions;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Privacy;

/// <summary>
/// Finds personal data in a request: the built-in detectors (e-mail, phone, payment card, IBAN, IP address) and the
/// admin's patterns. Compiled once with the routing snapshot; <see cref="Scan(IReadOnlyList{ChatTurn})"/> runs per
/// request in time linear in the prompt, and allocates nothing when it finds nothing.
/// </summary>
public sealed class PersonalDataDetector
{
    /// <summary>Regular expressions run on the non-backtracking engine, as rule conditions do: linear time whatever the pattern.</summary>
    private const RegexOptions PatternOptions = RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking;

    /// <summary>Custom kinds share a 64-bit mask with the built-in ones.</summary>
    public const int MaxPatterns = 32;

    private readonly Regex[] _patterns;
    private readonly PersonalDataFindings _none;

    private PersonalDataDetector(IReadOnlyList<string> kinds, Regex[] patterns)
    {
        Kinds = kinds;
        _patterns = patterns;
        _none = patterns.Length == 0 ? PersonalDataFindings.None : new PersonalDataFindings([], kinds);
    }

    /// <summary>The built-in detectors alone.</summary>
    public static PersonalDataDetector BuiltIn { get; } = new(PersonalDataKinds.BuiltIn, []);

    /// <summary>Every kind this detector reports: the built-in ones, then the admin's patterns by name.</summary>
    public IReadOnlyList<string> Kinds { get; }

    /// <summary>Compiles the admin's patterns; each problem is added to <paramref name="errors"/> with the pattern's name.</summary>
    public static PersonalDataDetector Compile(IReadOnlyList<PersonalDataPattern> patterns, List<string> errors)
    {
        if (patterns.Count == 0)
        {
            return BuiltIn;
        }

        var kinds = new List<string>(PersonalDataKinds.BuiltIn);
        var compiled = new List<Regex>();
        if (patterns.Count > MaxPatterns)
        {
            errors.Add($"At most {MaxPatterns} personal-data patterns can be configured (got {patterns.Count}).");
        }

        foreach (var pattern in patterns.Take(MaxPatterns))
        {
            var label = $"Personal-data pattern '{pattern.Name}'";
            if (CheckName(pattern.Name) is { } nameProblem)
            {
                errors.Add($"{label}: {nameProblem}");
                continue;
            }

            if (kinds.Contains(pattern.Name, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"{label}: the name is already taken by {(PersonalDataKinds.BuiltIn.Contains(pattern.Name, StringComparer.OrdinalIgnoreCase) ? "a built-in kind" : "another pattern")}.");
                continue;
            }

            if (string.IsNullOrEmpty(pattern.Pattern))
            {
                errors.Add($"{label}: the pattern is empty.");
                continue;
            }

            Regex regex;
            try
            {
                regex = new Regex(pattern.Pattern, PatternOptions);
            }
            catch (NotSupportedException)
            {
                errors.Add($"{label}: the pattern uses a construct the linear-time engine cannot run (lookarounds, backreferences, atomic groups); rewrite it without them.");
                continue;
            }
            catch (ArgumentException ex)
            {
                errors.Add($"{label}: the pattern does not compile: {ex.Message}");
                continue;
            }

            if (string.IsNullOrEmpty(pattern.Test) || !regex.IsMatch(pattern.Test))
            {
                errors.Add($"{label}: the test string '{pattern.Test}' does not match /{pattern.Pattern}/; give an example the pattern must catch.");
                continue;
            }

            if (regex.IsMatch(""))
            {
                errors.Add($"{label}: /{pattern.Pattern}/ matches an empty string, so it would mark every prompt; require at least one character.");
                continue;
            }

            kinds.Add(pattern.Name);
            compiled.Add(regex);
        }

        return new PersonalDataDetector(kinds, [.. compiled]);
    }

    /// <summary>Why a pattern name cannot be used, or null: letters, digits, '-' and '_', up to 40 characters.</summary>
    public static string? CheckName(string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            return "a pattern needs a name.";
        }

        if (name.Length > 40 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            return "a name is up to 40 letters, digits, '-' or '_' (it becomes the placeholder, e.g. [CUSTOMER-NUMBER]).";
        }

        return null;
    }

    /// <summary>The index of <paramref name="kind"/> in <see cref="Kinds"/>, case-insensitive, or -1.</summary>
    public int KindIndex(string kind)
    {
        for (var i = 0; i < Kinds.Count; i++)
        {
            if (string.Equals(Kinds[i], kind, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Scans every message of a request; values are located by message index.</summary>
    /// <param name="placeholders">
    /// Also count the placeholders of a redacted prompt (<c>[EMAIL]</c>, <c>[CARD]</c>) as values of their kind: a past
    /// request replayed from what was stored then decides as it did live.
    /// </param>
    public PersonalDataFindings Scan(IReadOnlyList<ChatTurn> messages, bool placeholders = false)
    {
        var finds = new Finds();
        for (var m = 0; m < messages.Count; m++)
        {
            finds.Message = m;
            ScanText(messages[m].Text, finds);
            if (placeholders)
            {
                ScanPlaceholders(messages[m].Text, finds);
            }
        }

        return Result(finds);
    }

    private void ScanPlaceholders(string text, Finds finds)
    {
        for (var at = text.IndexOf('['); at >= 0; at = text.IndexOf('[', at + 1))
        {
            var end = text.IndexOf(']', at + 1);
            if (end < 0)
            {
                return;
            }

            var kind = KindIndex(text[(at + 1)..end]);
            if (kind >= 0 && text.AsSpan(at + 1, end - at - 1).SequenceEqual(Kinds[kind].ToUpperInvariant()))
            {
                finds.Add(at, end - at + 1, kind);
            }
        }
    }

    /// <summary>Scans one text (message index 0).</summary>
    public PersonalDataFindings Scan(string text)
    {
        var finds = new Finds();
        ScanText(text, finds);
        return Result(finds);
    }

    private void ScanText(string text, Finds finds)
    {
        Detectors.Scan(text, finds);
        for (var p = 0; p < _patterns.Length; p++)
        {
            foreach (var match in _patterns[p].EnumerateMatches(text))
            {
                if (match.Length > 0)
                {
                    finds.Add(match.Index, match.Length, PersonalDataKinds.BuiltIn.Count + p);
                }
            }
        }
    }

    private PersonalDataFindings Result(Finds finds)
    {
        if (finds.Items is not { } items)
        {
            return _none;
        }

        items.Sort(static (a, b) => a.Message != b.Message ? a.Message.CompareTo(b.Message) : a.Start.CompareTo(b.Start));
        return new PersonalDataFindings([.. items], Kinds);
    }
}
