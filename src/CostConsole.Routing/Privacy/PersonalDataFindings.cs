using System.Text;

namespace CostConsole.Routing.Privacy;

/// <summary>How many values of one kind a request contained.</summary>
public readonly record struct PersonalDataCount(string Kind, int Count);

/// <summary>
/// The personal data found in one request: the kinds and how many of each, never the values themselves (the trace
/// and the ledger show only these), plus where they are so a stored prompt can be redacted.
/// </summary>
public sealed class PersonalDataFindings
{
    private readonly Found[] _found;
    private readonly IReadOnlyList<string> _kinds;

    internal PersonalDataFindings(Found[] found, IReadOnlyList<string> kinds)
    {
        _found = found;
        _kinds = kinds;
        var counts = new int[kinds.Count];
        foreach (var item in found)
        {
            counts[item.Kind]++;
            KindMask |= 1UL << item.Kind;
        }

        Counts = [.. counts.Select((count, kind) => new PersonalDataCount(kinds[kind], count)).Where(c => c.Count > 0)];
        Summary = string.Join(", ", Counts.Select(c => $"{c.Kind} {c.Count}"));
    }

    /// <summary>Nothing found.</summary>
    public static PersonalDataFindings None { get; } = new([], PersonalDataKinds.BuiltIn);

    /// <summary>True when the request contained any personal data: what the response cache and routing ask.</summary>
    public bool Any => _found.Length > 0;

    /// <summary>The kinds found, in detector order, with their counts.</summary>
    public IReadOnlyList<PersonalDataCount> Counts { get; }

    /// <summary>One line for the ledger and the trace, e.g. <c>email 1, card 2</c>; empty when nothing was found.</summary>
    public string Summary { get; }

    /// <summary>One bit per kind found, by the kind's index in the detector.</summary>
    internal ulong KindMask { get; }

    public bool Contains(string kind) => Counts.Any(c => string.Equals(c.Kind, kind, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// <paramref name="text"/> (the text of message <paramref name="message"/>, as scanned) with every value found in
    /// it replaced by its kind's placeholder, e.g. <c>[EMAIL]</c>.
    /// </summary>
    public string Redact(int message, string text)
    {
        StringBuilder? builder = null;
        var copied = 0;
        foreach (var item in _found)
        {
            if (item.Message != message || item.Start + item.Length > text.Length)
            {
                continue;
            }

            builder ??= new StringBuilder(text.Length);
            builder.Append(text, copied, item.Start - copied).Append(PersonalDataKinds.Placeholder(_kinds[item.Kind]));
            copied = item.Start + item.Length;
        }

        return builder is null ? text : builder.Append(text, copied, text.Length - copied).ToString();
    }

    public override string ToString() => Any ? Summary : "none";
}
