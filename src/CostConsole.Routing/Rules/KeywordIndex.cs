namespace CostConsole.Routing.Rules;

/// <summary>
/// Every word of every keyword in a rule set, numbered once at compile time. A request's text is scanned
/// once into the set of known words it contains (and their order, for phrases), so a keyword test is a bit
/// test however many rules there are. Words are runs of letters and digits, which makes matching
/// word-boundary aware by construction, and they compare case-insensitively.
/// </summary>
internal sealed class KeywordIndex
{
    private readonly Dictionary<string, int> _words = new(StringComparer.OrdinalIgnoreCase);
    private Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    public KeywordIndex() => _lookup = _words.GetAlternateLookup<ReadOnlySpan<char>>();

    public int WordCount => _words.Count;

    /// <summary>Registers a keyword or phrase; returns its word ids in order (empty when it has no word characters).</summary>
    public int[] Register(string keyword)
    {
        var ids = new List<int>();
        foreach (var range in Words(keyword))
        {
            var word = keyword[range];
            if (!_words.TryGetValue(word, out var id))
            {
                id = _words.Count;
                _words.Add(word, id);
            }

            ids.Add(id);
        }

        return [.. ids];
    }

    /// <summary>Fills <paramref name="evaluation"/>'s word set and sequence from <paramref name="text"/>.</summary>
    public void Scan(string text, RuleEvaluation evaluation)
    {
        evaluation.PrepareWords(WordCount, text.Length / 2 + 1);
        var span = text.AsSpan();
        var start = -1;
        for (var i = 0; i <= span.Length; i++)
        {
            var isWordChar = i < span.Length && char.IsLetterOrDigit(span[i]);
            if (isWordChar)
            {
                if (start < 0)
                {
                    start = i;
                }
            }
            else if (start >= 0)
            {
                evaluation.AddWord(_lookup.TryGetValue(span[start..i], out var id) ? id : -1);
                start = -1;
            }
        }
    }

    internal static IEnumerable<Range> Words(string text)
    {
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var isWordChar = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (isWordChar && start < 0)
            {
                start = i;
            }
            else if (!isWordChar && start >= 0)
            {
                yield return start..i;
                start = -1;
            }
        }
    }
}
