using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CostConsole.Routing.Caching;

/// <summary>
/// What a prompt says that an embedding blurs: negations, opposite words (on/off), numbers and amounts, identifiers
/// (order ids, e-mails, codes), quoted text and named things. Read once per prompt; the content gate compares two.
/// </summary>
public sealed partial class PromptFacts
{
    private static readonly HashSet<string> NegationWords = new(StringComparer.Ordinal)
    {
        "not", "no", "never", "none", "nobody", "nothing", "neither", "nor", "nowhere", "without", "cannot", "cant", "dont", "doesnt",
        "didnt", "isnt", "arent", "wasnt", "werent", "wont", "wouldnt", "shouldnt", "couldnt", "hasnt", "havent", "hadnt", "mustnt",
        "aint", "nope", "neednt",
    };

    /// <summary>
    /// Words a sentence model places right next to their opposite ("turn on" and "turn off" score above any usable
    /// threshold). A prompt that uses one where the other prompt uses its opposite asks something else.
    /// </summary>
    private static readonly Dictionary<string, string[]> Opposites = BuildOpposites(
        "on/off", "in/out", "up/down", "enable/disable", "enabled/disabled", "activate/deactivate", "add/remove", "increase/decrease",
        "increase/reduce", "raise/lower", "include/exclude", "allow/block", "allow/deny", "start/stop", "open/close", "lock/unlock",
        "subscribe/unsubscribe", "upgrade/downgrade", "before/after", "more/less", "more/fewer", "most/least", "max/min",
        "maximum/minimum", "buy/sell", "import/export", "upload/download", "encrypt/decrypt", "accept/reject", "login/logout",
        "first/last", "highest/lowest", "above/below", "over/under", "true/false", "always/never", "all/none", "refund/charge",
        "credit/debit", "send/receive", "sent/received", "win/lose", "pass/fail", "old/new", "yesterday/today", "today/tomorrow",
        "yesterday/tomorrow", "earlier/later", "inside/outside", "internal/external", "public/private", "male/female", "he/she",
        "his/her", "him/her", "with/without", "best/worst", "hot/cold", "fast/slow", "big/small", "large/small", "long/short",
        "early/late", "high/low", "cheap/expensive", "cheapest/dearest", "positive/negative", "left/right", "north/south",
        "east/west", "input/output", "push/pull", "join/leave", "mute/unmute", "show/hide", "visible/hidden", "install/uninstall",
        "connect/disconnect", "approve/decline", "approve/reject", "gain/loss", "profit/loss", "arrive/depart", "arrival/departure",
        "sender/recipient", "buyer/seller", "import/export", "inbound/outbound", "light/dark", "day/night", "weekday/weekend",
        "monthly/annual", "monthly/yearly", "daily/weekly", "weekly/monthly", "cancel/renew", "pause/resume", "merge/split");

    private static Dictionary<string, string[]> BuildOpposites(params string[] pairs)
    {
        var map = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            var (a, b) = (pair[..pair.IndexOf('/')], pair[(pair.IndexOf('/') + 1)..]);
            (map.TryGetValue(a, out var la) ? la : map[a] = []).Add(b);
            (map.TryGetValue(b, out var lb) ? lb : map[b] = []).Add(a);
        }

        return map.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    private static readonly Dictionary<string, string> NumberWords = new(StringComparer.Ordinal)
    {
        ["zero"] = "0", ["one"] = "1", ["two"] = "2", ["three"] = "3", ["four"] = "4", ["five"] = "5", ["six"] = "6", ["seven"] = "7",
        ["eight"] = "8", ["nine"] = "9", ["ten"] = "10", ["eleven"] = "11", ["twelve"] = "12", ["thirteen"] = "13", ["fourteen"] = "14",
        ["fifteen"] = "15", ["sixteen"] = "16", ["seventeen"] = "17", ["eighteen"] = "18", ["nineteen"] = "19", ["twenty"] = "20",
        ["thirty"] = "30", ["forty"] = "40", ["fifty"] = "50", ["sixty"] = "60", ["seventy"] = "70", ["eighty"] = "80", ["ninety"] = "90",
        ["hundred"] = "100", ["thousand"] = "1000", ["million"] = "1000000", ["billion"] = "1000000000", ["dozen"] = "12",
        ["half"] = "0.5", ["quarter"] = "0.25", ["once"] = "1x", ["twice"] = "2x", ["double"] = "2x", ["triple"] = "3x",
        ["single"] = "1", ["pair"] = "2", ["couple"] = "2", ["first"] = "1st", ["second"] = "2nd", ["third"] = "3rd",
    };

    /// <summary>Words a sentence commonly starts with: capitalised there, they name nothing.</summary>
    private static readonly HashSet<string> SentenceStarters = new(StringComparer.Ordinal)
    {
        "what", "whats", "how", "hows", "why", "when", "where", "wheres", "who", "whom", "whose", "which", "can", "could", "would",
        "should", "shall", "will", "may", "might", "must", "is", "are", "was", "were", "am", "do", "does", "did", "have", "has", "had",
        "please", "pls", "i", "im", "ive", "id", "ill", "me", "my", "mine", "we", "our", "us", "you", "your", "it", "its", "this", "that",
        "these", "those", "there", "the", "a", "an", "hi", "hello", "hey", "dear", "thanks", "thank", "ok", "okay", "so", "and", "but",
        "or", "also", "now", "then", "if", "in", "on", "at", "for", "to", "from", "with", "by", "of", "about", "tell", "give", "show",
        "explain", "list", "help", "is", "any", "some", "all", "yes", "no", "not", "just", "quick", "question", "hello", "good",
        "morning", "afternoon", "evening", "sorry", "excuse", "urgent", "again", "still", "why", "whats", "whys", "hows", "wheres",
        "lets", "let", "kindly", "could", "would", "need", "want", "wanted", "looking", "trying", "anyone", "somebody", "someone",
        "they", "he", "she", "his", "her", "their", "as", "after", "before", "since", "while", "because", "although", "though",
    };

    private static readonly string[] CurrencyCodes = ["usd", "eur", "gbp", "jpy", "chf", "cad", "aud", "inr", "cny", "sek", "nok", "dkk", "pln", "brl", "mxn"];

    private static readonly string[] CurrencyWords = ["dollar", "dollars", "euro", "euros", "pound", "pounds", "yen", "franc", "francs", "rupee", "rupees", "cent", "cents", "pence"];

    private PromptFacts(string text)
    {
        Text = text;
    }

    public string Text { get; }

    /// <summary>How many negations the prompt has; a "not" more or less flips the question.</summary>
    public int Negations { get; private init; }

    /// <summary>Numbers (digits and number words) in one spelling: "1,000" and "1000" are one, "three" is 3.</summary>
    public IReadOnlySet<string> Numbers { get; private init; } = EmptySet;

    /// <summary>Tokens with digits or the marks of an address or code: ORD-1234, jane@example.com, example.com/a, A1B2.</summary>
    public IReadOnlySet<string> Identifiers { get; private init; } = EmptySet;

    /// <summary>Currency symbols, codes and words.</summary>
    public IReadOnlySet<string> Currencies { get; private init; } = EmptySet;

    /// <summary>The words of the prompt that have an opposite (on, off, enable, refund…).</summary>
    public IReadOnlySet<string> Polarity { get; private init; } = EmptySet;

    /// <summary>Named things: capitalised words, acronyms, and a sentence's first word when it is not a common opener.</summary>
    public IReadOnlySet<string> Names { get; private init; } = EmptySet;

    public IReadOnlySet<string> Quoted { get; private init; } = EmptySet;

    /// <summary>Every word, lower case: a name of one prompt that the other also uses (in any case) is not a different name.</summary>
    public IReadOnlySet<string> Words { get; private init; } = EmptySet;

    /// <summary>The writing systems of the letters (Latin, Cyrillic, Han…), and whether any Latin letter carries an accent.</summary>
    public string Scripts { get; private init; } = "";

    private static readonly IReadOnlySet<string> EmptySet = new HashSet<string>();

    public static PromptFacts Of(string text)
    {
        var negations = 0;
        var numbers = new HashSet<string>(StringComparer.Ordinal);
        var identifiers = new HashSet<string>(StringComparer.Ordinal);
        var currencies = new HashSet<string>(StringComparer.Ordinal);
        var polarity = new HashSet<string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        var words = new HashSet<string>(StringComparer.Ordinal);
        var quoted = new HashSet<string>(StringComparer.Ordinal);

        foreach (Match match in QuotedText().Matches(text))
        {
            quoted.Add(CacheFingerprint.Normalise(match.Groups[1].Value).ToLowerInvariant());
        }

        foreach (Match match in NumberPattern().Matches(text))
        {
            numbers.Add(NormaliseNumber(match.Value));
        }

        foreach (var c in text)
        {
            if (c is '$' or '€' or '£' or '¥' or '₹' or '₽' or '₩' or '%')
            {
                currencies.Add(c.ToString());
            }
        }

        var sentenceStart = true;
        foreach (var raw in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var token = raw.Trim(TokenTrim);
            var endsSentence = raw.Length > 0 && raw[^1] is '.' or '?' or '!' or ':' or ';' or '\n';
            if (token.Length == 0)
            {
                sentenceStart |= endsSentence;
                continue;
            }

            var lower = token.ToLowerInvariant();
            if (IsIdentifier(token))
            {
                identifiers.Add(lower);
            }

            foreach (var part in WordPattern().Matches(lower).Select(m => m.Value))
            {
                var word = part.Replace("'", "", StringComparison.Ordinal).Replace("’", "", StringComparison.Ordinal);
                words.Add(word);
                if (NegationWords.Contains(word) || word.EndsWith("nt", StringComparison.Ordinal) && part.Contains('\'') || part.EndsWith("n’t", StringComparison.Ordinal))
                {
                    negations++;
                }

                if (Opposites.ContainsKey(word))
                {
                    polarity.Add(word);
                }

                if (NumberWords.TryGetValue(word, out var value))
                {
                    numbers.Add(value);
                }

                if (Array.IndexOf(CurrencyCodes, word) >= 0 || Array.IndexOf(CurrencyWords, word) >= 0)
                {
                    currencies.Add(CurrencyName(word));
                }
            }

            var first = token.TrimStart('"', '\'', '(', '[', '“', '‘')[0];
            if (char.IsUpper(first) && !IsIdentifier(token))
            {
                var word = WordPattern().Match(lower).Value.Replace("'", "", StringComparison.Ordinal).Replace("’", "", StringComparison.Ordinal);
                var acronym = token.Length >= 2 && token.All(ch => !char.IsLetter(ch) || char.IsUpper(ch));
                if (word.Length > 0 && (acronym || !sentenceStart || !SentenceStarters.Contains(word)) && word != "i")
                {
                    names.Add(word);
                }
            }

            sentenceStart = endsSentence;
        }

        return new PromptFacts(text)
        {
            Negations = negations,
            Numbers = numbers,
            Identifiers = identifiers,
            Currencies = currencies,
            Polarity = polarity,
            Names = names,
            Quoted = quoted,
            Words = words,
            Scripts = ScriptsOf(text),
        };
    }

    /// <summary>Why <paramref name="other"/> may not be answered with this prompt's answer, or null when nothing the gate reads differs.</summary>
    public string? DiffersFrom(PromptFacts other)
    {
        if (Negations != other.Negations)
        {
            return $"a negation differs ({Negations} vs {other.Negations})";
        }

        if ((Opposite(this, other) ?? Opposite(other, this)) is { } flipped)
        {
            return "opposite words: " + flipped;
        }

        if (!Numbers.SetEquals(other.Numbers))
        {
            return "a number differs: " + Describe(Numbers, other.Numbers);
        }

        if (!Currencies.SetEquals(other.Currencies))
        {
            return "a currency differs: " + Describe(Currencies, other.Currencies);
        }

        if (!Identifiers.SetEquals(other.Identifiers))
        {
            return "an identifier differs: " + Describe(Identifiers, other.Identifiers);
        }

        if (!Quoted.SetEquals(other.Quoted))
        {
            return "quoted text differs";
        }

        if (Scripts != other.Scripts)
        {
            return "the language differs";
        }

        foreach (var name in Names)
        {
            if (!other.Words.Contains(name))
            {
                return $"a name differs: \"{name}\" is not in the other prompt";
            }
        }

        foreach (var name in other.Names)
        {
            if (!Words.Contains(name))
            {
                return $"a name differs: \"{name}\" is not in the other prompt";
            }
        }

        return null;
    }

    /// <summary>A word of <paramref name="a"/> that <paramref name="b"/> replaces with its opposite, as "on vs off".</summary>
    private static string? Opposite(PromptFacts a, PromptFacts b)
    {
        foreach (var word in a.Polarity)
        {
            if (b.Words.Contains(word))
            {
                continue;
            }

            foreach (var opposite in Opposites[word])
            {
                if (b.Words.Contains(opposite) && !a.Words.Contains(opposite))
                {
                    return $"\"{word}\" vs \"{opposite}\"";
                }
            }
        }

        return null;
    }

    private static readonly char[] TokenTrim = ['.', ',', '?', '!', ':', ';', '"', '\'', '(', ')', '[', ']', '{', '}', '“', '”', '‘', '’', '*', '`'];

    /// <summary>A token with a digit or with the inner marks of an address, path or code.</summary>
    private static bool IsIdentifier(string token)
    {
        var letters = false;
        var digits = false;
        var marks = false;
        for (var i = 0; i < token.Length; i++)
        {
            var c = token[i];
            letters |= char.IsLetter(c);
            digits |= char.IsDigit(c);
            marks |= c is '@' or '#' or '_' or '/' or '\\'
                || (c == '.' && i > 0 && i < token.Length - 1 && char.IsLetterOrDigit(token[i - 1]) && char.IsLetterOrDigit(token[i + 1]));
        }

        return (letters && digits) || marks;
    }

    private static string NormaliseNumber(string value)
    {
        var digits = value.Replace(",", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal);
        return decimal.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            ? (number / 1.000000000000000000000000000000000m).ToString(CultureInfo.InvariantCulture)
            : digits;
    }

    private static string CurrencyName(string word) => word switch
    {
        "usd" or "dollar" or "dollars" => "$",
        "eur" or "euro" or "euros" => "€",
        "gbp" or "pound" or "pounds" or "pence" => "£",
        "jpy" or "yen" => "¥",
        "inr" or "rupee" or "rupees" => "₹",
        "cent" or "cents" => "¢",
        _ => word,
    };

    private static string ScriptsOf(string text)
    {
        var latin = false;
        var accented = false;
        var other = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var c in text)
        {
            if (!char.IsLetter(c))
            {
                continue;
            }

            if (c < 128)
            {
                latin = true;
            }
            else if (c <= '\u024F')
            {
                latin = true;
                accented = true;
            }
            else
            {
                other.Add(c switch
                {
                    >= '\u0370' and <= '\u03FF' => "greek",
                    >= '\u0400' and <= '\u04FF' => "cyrillic",
                    >= '\u0590' and <= '\u05FF' => "hebrew",
                    >= '\u0600' and <= '\u06FF' => "arabic",
                    >= '\u0900' and <= '\u097F' => "devanagari",
                    >= '\u3040' and <= '\u30FF' => "kana",
                    >= '\u4E00' and <= '\u9FFF' => "han",
                    >= '\uAC00' and <= '\uD7AF' => "hangul",
                    _ => "other",
                });
            }
        }

        return (latin ? "latin" : "") + (accented ? "+accents" : "") + string.Concat(other.Select(s => "," + s));
    }

    private static string Describe(IReadOnlySet<string> a, IReadOnlySet<string> b) =>
        $"{{{string.Join(", ", a.Order(StringComparer.Ordinal))}}} vs {{{string.Join(", ", b.Order(StringComparer.Ordinal))}}}";

    [GeneratedRegex(@"\d[\d,_]*(?:\.\d+)?")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[\p{L}\p{N}]+(?:['’][\p{L}]+)?")]
    private static partial Regex WordPattern();

    [GeneratedRegex("[\"“”«]([^\"“”»]{1,200})[\"“”»]")]
    private static partial Regex QuotedText();
}
