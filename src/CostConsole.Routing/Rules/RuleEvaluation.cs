using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Rules;

/// <summary>
/// Per-request scratch state for evaluating a rule set. One instance is reused per thread, so a decision
/// allocates nothing for it; rule evaluation is synchronous, so the instance never crosses an await.
/// </summary>
internal sealed class RuleEvaluation
{
    [ThreadStatic]
    private static RuleEvaluation? t_cached;

    private ulong[] _present = new ulong[4];
    private int[] _sequence = new int[256];

    public ChatRequest Request { get; private set; } = null!;

    public TimeSpan RegexTimeout { get; private set; }

    public bool WordsScanned { get; set; }

    public int SequenceLength { get; private set; }

    public List<string>? Notes { get; private set; }

    public ReadOnlySpan<int> Sequence => _sequence.AsSpan(0, SequenceLength);

    public static RuleEvaluation Rent(ChatRequest request, TimeSpan regexTimeout)
    {
        var evaluation = t_cached ?? new RuleEvaluation();
        t_cached = null;
        evaluation.Request = request;
        evaluation.RegexTimeout = regexTimeout;
        evaluation.WordsScanned = false;
        evaluation.SequenceLength = 0;
        evaluation.Notes = null;
        return evaluation;
    }

    public static void Return(RuleEvaluation evaluation)
    {
        evaluation.Request = null!;
        evaluation.Notes = null;
        t_cached = evaluation;
    }

    public void AddNote(string note) => (Notes ??= []).Add(note);

    public void PrepareWords(int wordCount, int maxWords)
    {
        var words = (wordCount + 63) / 64;
        if (_present.Length < words)
        {
            _present = new ulong[words];
        }
        else
        {
            Array.Clear(_present, 0, words);
        }

        if (_sequence.Length < maxWords)
        {
            _sequence = new int[maxWords];
        }

        SequenceLength = 0;
    }

    public void AddWord(int id)
    {
        if (id >= 0)
        {
            _present[id >> 6] |= 1UL << (id & 63);
        }

        _sequence[SequenceLength++] = id;
    }

    public bool Contains(int wordId) => (_present[wordId >> 6] & (1UL << (wordId & 63))) != 0;
}
