namespace CostConsole.Routing.Evaluation;

/// <summary>How well one rule set's decisions match the expected tiers of a labelled set.</summary>
public sealed class LabelledCheckResult
{
    private readonly int[,] _confusion;

    public LabelledCheckResult(IReadOnlyList<string> tiers, IEnumerable<(string Expected, string Decided)> outcomes)
    {
        Tiers = tiers;
        _confusion = new int[tiers.Count, tiers.Count];
        var index = tiers.Select((t, i) => (t, i)).ToDictionary(x => x.t, x => x.i, StringComparer.OrdinalIgnoreCase);
        foreach (var (expected, decided) in outcomes)
        {
            _confusion[index[expected], index[decided]]++;
            Total++;
        }
    }

    public IReadOnlyList<string> Tiers { get; }

    public int Total { get; }

    public int Correct => Enumerable.Range(0, Tiers.Count).Sum(i => _confusion[i, i]);

    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Requests expected on <paramref name="expected"/> that were decided <paramref name="decided"/>.</summary>
    public int Count(int expected, int decided) => _confusion[expected, decided];

    /// <summary>Of the requests decided for the tier, the share that belonged there; null when none was decided for it.</summary>
    public double? Precision(int tier)
    {
        var decided = Enumerable.Range(0, Tiers.Count).Sum(e => _confusion[e, tier]);
        return decided == 0 ? null : (double)_confusion[tier, tier] / decided;
    }

    /// <summary>Of the requests that belonged on the tier, the share decided for it; null when none belonged there.</summary>
    public double? Recall(int tier)
    {
        var expected = Enumerable.Range(0, Tiers.Count).Sum(d => _confusion[tier, d]);
        return expected == 0 ? null : (double)_confusion[tier, tier] / expected;
    }
}
