using System.Net;
using System.Net.Sockets;

namespace CostConsole.Routing.Privacy;

/// <summary>One value found: where it is in which message, and its kind's index.</summary>
internal readonly record struct Found(int Message, int Start, int Length, int Kind);

/// <summary>
/// The values found so far in one scan. Detectors run in priority order (e-mail before phone, card before phone),
/// so a value an earlier detector claimed is never counted twice.
/// </summary>
internal sealed class Finds
{
    private List<Found>? _items;

    public int Message { get; set; }

    public List<Found>? Items => _items;

    public void Add(int start, int length, int kind)
    {
        if (_items is { } items)
        {
            for (var i = items.Count - 1; i >= 0 && items[i].Message == Message; i--)
            {
                var other = items[i];
                if (start < other.Start + other.Length && other.Start < start + length)
                {
                    return;
                }
            }
        }

        (_items ??= new List<Found>(4)).Add(new Found(Message, start, length, kind));
    }
}

/// <summary>
/// The built-in detectors: hand-written scanners, each a single forward pass over the text (linear time, no
/// regular expression, no allocation unless something is found). Checksums (Luhn for cards, mod 97 for IBANs)
/// and strict shapes keep order numbers, dates, prices and version strings out.
/// </summary>
internal static class Detectors
{
    public static void Scan(ReadOnlySpan<char> text, Finds finds)
    {
        Emails(text, finds);
        Ibans(text, finds);
        IPv4(text, finds);
        IPv6(text, finds);
        Numbers(text, finds);
    }

    /// <summary><c>local@domain.tld</c>: a local part of the usual characters, a domain with at least one dot and a top-level domain of two letters or more.</summary>
    public static void Emails(ReadOnlySpan<char> text, Finds finds)
    {
        var from = 0;
        while (from < text.Length)
        {
            var at = text[from..].IndexOf('@');
            if (at < 0)
            {
                return;
            }

            at += from;
            var start = at;
            while (start > from && at - start < 64 && IsLocal(text[start - 1]))
            {
                start--;
            }

            while (start < at && text[start] == '.')
            {
                start++;
            }

            var end = at + 1;
            var labelStart = end;
            var lastDot = -1;
            while (end < text.Length && end - at <= 253)
            {
                var c = text[end];
                if (char.IsAsciiLetterOrDigit(c) || c == '-')
                {
                    end++;
                }
                else if (c == '.' && end > labelStart && end + 1 < text.Length && char.IsAsciiLetterOrDigit(text[end + 1]))
                {
                    lastDot = end;
                    end++;
                    labelStart = end;
                }
                else
                {
                    break;
                }
            }

            from = Math.Max(end, at + 1);
            if (start == at || lastDot < 0 || end - lastDot - 1 < 2 || !AllLetters(text[(lastDot + 1)..end]))
            {
                continue;
            }

            finds.Add(start, end - start, PersonalDataKinds.EmailIndex);
        }
    }

    /// <summary>
    /// Two capital letters, two check digits and 11–30 letters or digits, written together or in groups separated
    /// by single spaces; the mod-97 checksum must hold. The longest valid prefix ending at a group boundary wins.
    /// </summary>
    public static void Ibans(ReadOnlySpan<char> text, Finds finds)
    {
        for (var i = 0; i + 15 <= text.Length; i++)
        {
            if (!char.IsAsciiLetterUpper(text[i]) || !char.IsAsciiLetterUpper(text[i + 1]) || !char.IsAsciiDigit(text[i + 2]) || !char.IsAsciiDigit(text[i + 3])
                || (i > 0 && char.IsAsciiLetterOrDigit(text[i - 1])))
            {
                continue;
            }

            var remainder = 0;
            var count = 4;
            var j = i + 4;
            var bestEnd = -1;
            while (j < text.Length && count < 34)
            {
                var c = text[j];
                if (char.IsAsciiDigit(c))
                {
                    remainder = ((remainder * 10) + (c - '0')) % 97;
                }
                else if (char.IsAsciiLetterUpper(c))
                {
                    remainder = ((remainder * 100) + (c - 'A' + 10)) % 97;
                }
                else if (c == ' ' && j + 1 < text.Length && (char.IsAsciiDigit(text[j + 1]) || char.IsAsciiLetterUpper(text[j + 1])))
                {
                    if (count >= 15 && IbanValid(remainder, text[i..(i + 4)]))
                    {
                        bestEnd = j;
                    }

                    j++;
                    continue;
                }
                else
                {
                    break;
                }

                count++;
                j++;
            }

            if (count >= 15 && (j >= text.Length || !char.IsAsciiLetterOrDigit(text[j])) && IbanValid(remainder, text[i..(i + 4)]))
            {
                bestEnd = j;
            }

            if (bestEnd > 0)
            {
                finds.Add(i, bestEnd - i, PersonalDataKinds.IbanIndex);
                i = bestEnd - 1;
            }
        }
    }

    /// <summary>The IBAN check: the account part followed by the country and check digits, read as a number, is 1 mod 97.</summary>
    private static bool IbanValid(int bbanRemainder, ReadOnlySpan<char> head)
    {
        var remainder = bbanRemainder;
        remainder = ((remainder * 100) + (head[0] - 'A' + 10)) % 97;
        remainder = ((remainder * 100) + (head[1] - 'A' + 10)) % 97;
        remainder = ((remainder * 10) + (head[2] - '0')) % 97;
        remainder = ((remainder * 10) + (head[3] - '0')) % 97;
        return remainder == 1;
    }

    /// <summary>Four dotted numbers of 0–255, not part of a longer dotted run (a version string such as 1.2.3.4.5) or a word.</summary>
    public static void IPv4(ReadOnlySpan<char> text, Finds finds)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (!char.IsAsciiDigit(text[i]) || (i > 0 && (char.IsAsciiLetterOrDigit(text[i - 1]) || text[i - 1] == '.')))
            {
                continue;
            }

            var j = i;
            var parts = 0;
            var valid = true;
            while (true)
            {
                var digits = 0;
                var value = 0;
                while (j < text.Length && char.IsAsciiDigit(text[j]) && digits < 4)
                {
                    value = (value * 10) + (text[j] - '0');
                    digits++;
                    j++;
                }

                if (digits is 0 or > 3 || value > 255)
                {
                    valid = false;
                    break;
                }

                if (++parts == 4)
                {
                    break;
                }

                if (j + 1 < text.Length && text[j] == '.' && char.IsAsciiDigit(text[j + 1]))
                {
                    j++;
                    continue;
                }

                valid = false;
                break;
            }

            if (valid && (j >= text.Length || !(char.IsAsciiLetterOrDigit(text[j]) || (text[j] == '.' && j + 1 < text.Length && char.IsAsciiDigit(text[j + 1])))))
            {
                finds.Add(i, j - i, PersonalDataKinds.IpIndex);
            }
        }
    }

    /// <summary>Hexadecimal groups with at least two colons that parse as an IPv6 address (so times such as 12:30:45 do not).</summary>
    public static void IPv6(ReadOnlySpan<char> text, Finds finds)
    {
        var from = 0;
        while (from < text.Length)
        {
            var colon = text[from..].IndexOf(':');
            if (colon < 0)
            {
                return;
            }

            colon += from;
            var start = colon;
            while (start > from && colon - start < 45 && IsV6(text[start - 1]))
            {
                start--;
            }

            var end = colon;
            var colons = 0;
            var hex = false;
            while (end < text.Length && end - start <= 45 && IsV6(text[end]))
            {
                colons += text[end] == ':' ? 1 : 0;
                hex |= char.IsAsciiHexDigit(text[end]);
                end++;
            }

            from = end;
            while (end > start && text[end - 1] == '.')
            {
                end--;
            }

            for (var k = start; k < colon; k++)
            {
                colons += text[k] == ':' ? 1 : 0;
                hex |= char.IsAsciiHexDigit(text[k]);
            }

            if (colons < 2 || !hex || (start > 0 && char.IsAsciiLetterOrDigit(text[start - 1])) || (end < text.Length && char.IsAsciiLetterOrDigit(text[end])))
            {
                continue;
            }

            if (IPAddress.TryParse(text[start..end], out var address) && address.AddressFamily == AddressFamily.InterNetworkV6)
            {
                finds.Add(start, end - start, PersonalDataKinds.IpIndex);
            }
        }
    }

    /// <summary>
    /// Runs of digits with spaces, dashes, dots or brackets between groups: a payment card (13–19 digits starting
    /// 2–6, spaces or dashes only, Luhn check), else a phone number — international (+ or 00 then 8–15 digits),
    /// North American (3-3-4), or national with a trunk 0 (10–11 digits). Dates, prices, times and version strings
    /// have none of these shapes.
    /// </summary>
    public static void Numbers(ReadOnlySpan<char> text, Finds finds)
    {
        Span<int> groupEnds = stackalloc int[16];
        Span<int> groupDigits = stackalloc int[16];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (!(char.IsAsciiDigit(c) || c is '+' or '(') || (i > 0 && (char.IsAsciiLetterOrDigit(text[i - 1]) || text[i - 1] is '.' or ',' or '/' or '-' or ':' or '+')))
            {
                continue;
            }

            var j = i;
            var opened = false;
            if (text[j] == '(')
            {
                opened = true;
                j++;
            }

            var plus = false;
            if (j < text.Length && text[j] == '+')
            {
                plus = true;
                j++;
            }

            if (j >= text.Length || !char.IsAsciiDigit(text[j]))
            {
                continue;
            }

            var first = j;
            var digits = 0;
            var groups = 0;
            var current = 0;
            var dots = false;
            var brackets = opened;
            var lastDigitEnd = j;
            while (j < text.Length)
            {
                if (char.IsAsciiDigit(text[j]))
                {
                    current++;
                    digits++;
                    j++;
                    lastDigitEnd = j;
                    continue;
                }

                if (groups < groupEnds.Length)
                {
                    groupEnds[groups] = j;
                    groupDigits[groups] = current;
                }

                groups++;
                current = 0;
                var k = j;
                var plain = 0;
                var bracket = false;
                var dot = false;
                while (k < text.Length && k - j < 3 && text[k] is ' ' or '-' or '.' or '(' or ')')
                {
                    if (text[k] is '(' or ')')
                    {
                        bracket = true;
                    }
                    else
                    {
                        plain++;
                        dot |= text[k] == '.';
                    }

                    k++;
                }

                if (k == j || plain > 1 || k >= text.Length || !char.IsAsciiDigit(text[k]))
                {
                    break;
                }

                brackets |= bracket;
                dots |= dot;
                j = k;
            }

            if (current > 0)
            {
                if (groups < groupEnds.Length)
                {
                    groupEnds[groups] = lastDigitEnd;
                    groupDigits[groups] = current;
                }

                groups++;
            }

            var end = lastDigitEnd;
            i = end - 1;
            if (end < text.Length && (char.IsAsciiLetterOrDigit(text[end]) || (text[end] == ',' && end + 1 < text.Length && char.IsAsciiDigit(text[end + 1]))))
            {
                continue;
            }

            if (!plus && !brackets && !dots && text[first] is >= '2' and <= '6' && groups <= groupEnds.Length)
            {
                var cardEnd = -1;
                var cumulative = 0;
                for (var g = 0; g < groups; g++)
                {
                    cumulative += groupDigits[g];
                    if (cumulative > 19)
                    {
                        break;
                    }

                    if (cumulative >= 13 && Luhn(text[first..groupEnds[g]]))
                    {
                        cardEnd = groupEnds[g];
                    }
                }

                if (cardEnd > 0)
                {
                    finds.Add(first, cardEnd - first, PersonalDataKinds.CardIndex);
                    continue;
                }
            }

            if (IsPhone(text, first, digits, groups, groupDigits, plus, dots))
            {
                var start = first - (plus ? 1 : 0) - (opened ? 1 : 0);
                finds.Add(start, end - start, PersonalDataKinds.PhoneIndex);
            }
        }
    }

    private static bool IsPhone(ReadOnlySpan<char> text, int first, int digits, int groups, ReadOnlySpan<int> groupDigits, bool plus, bool dots)
    {
        if (plus)
        {
            return digits is >= 8 and <= 15;
        }

        if (text[first] == '0' && first + 1 < text.Length && text[first + 1] == '0')
        {
            return digits is >= 10 and <= 15 && groups > 1;
        }

        if (groups == 3 && digits == 10 && groupDigits[0] == 3 && groupDigits[1] == 3 && groupDigits[2] == 4)
        {
            return true;
        }

        if (groups == 4 && digits == 11 && text[first] == '1' && groupDigits[0] == 1 && groupDigits[1] == 3 && groupDigits[2] == 3 && groupDigits[3] == 4)
        {
            return true;
        }

        return text[first] == '0' && !dots && digits is 10 or 11 && groups <= 16 && MinGroup(groupDigits[..Math.Min(groups, 16)]) >= 2;
    }

    private static int MinGroup(ReadOnlySpan<int> groups)
    {
        var min = int.MaxValue;
        foreach (var g in groups)
        {
            min = Math.Min(min, g);
        }

        return min;
    }

    /// <summary>The Luhn check over the digits of <paramref name="number"/> (separators skipped).</summary>
    internal static bool Luhn(ReadOnlySpan<char> number)
    {
        var sum = 0;
        var doubled = false;
        for (var i = number.Length - 1; i >= 0; i--)
        {
            var c = number[i];
            if (!char.IsAsciiDigit(c))
            {
                continue;
            }

            var d = c - '0';
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubled = !doubled;
        }

        return sum % 10 == 0;
    }

    private static bool IsLocal(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '%' or '+' or '-';

    private static bool IsV6(char c) => char.IsAsciiHexDigit(c) || c is ':' or '.';

    private static bool AllLetters(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetter(c))
            {
                return false;
            }
        }

        return true;
    }
}
