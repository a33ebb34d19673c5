namespace CostConsole.Routing.Caching;

/// <summary>Whose answers a request may be served: entries never cross this line.</summary>
public enum CacheScope
{
    /// <summary>Each API key has its own entries.</summary>
    Key,

    /// <summary>Keys of one team share entries; a key without a team keeps its own.</summary>
    Team,

    /// <summary>Every key shares entries: only for answers that are the same for everybody.</summary>
    Global,
}

/// <summary>How the cache treats the requests of one rule (or of every rule without its own policy).</summary>
public sealed record CachePolicy
{
    public bool Enabled { get; init; } = true;

    /// <summary>Serve paraphrases from the semantic level; off leaves only identical requests.</summary>
    public bool Semantic { get; init; } = true;

    /// <summary>Smallest cosine similarity of a semantic hit; the content gate still refuses below it or above.</summary>
    public double Threshold { get; init; } = 0.9;

    public TimeSpan TimeToLive { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Longest conversation (user turns) cached; longer ones depend on context a paraphrase does not share.</summary>
    public int MaxTurns { get; init; } = 1;

    /// <summary>Requests asking for a higher temperature want a fresh sample each time: not cached.</summary>
    public double MaxTemperature { get; init; } = 1.0;

    /// <summary>The tiers whose answers may be served from cache; empty means every tier.</summary>
    public IReadOnlyList<string> Tiers { get; init; } = [];

    public CacheScope Scope { get; init; } = CacheScope.Key;

    public IEnumerable<string> Problems(string label)
    {
        if (Threshold is <= 0 or > 1 || double.IsNaN(Threshold))
        {
            yield return $"{label}: the similarity threshold must be above 0 and at most 1 (it is {Threshold}).";
        }

        if (TimeToLive <= TimeSpan.Zero)
        {
            yield return $"{label}: the time to live must be positive (it is {TimeToLive}).";
        }

        if (MaxTurns < 1)
        {
            yield return $"{label}: the maximum number of turns must be at least 1 (it is {MaxTurns}).";
        }

        if (MaxTemperature is < 0 or > 2 || double.IsNaN(MaxTemperature))
        {
            yield return $"{label}: the maximum temperature must be between 0 and 2 (it is {MaxTemperature}).";
        }
    }
}

/// <summary>The cache as configured: on or off, the default policy, the policies of named rules, and the index's size.</summary>
public sealed record CacheSettings
{
    public bool Enabled { get; init; }

    public CachePolicy Default { get; init; } = new();

    /// <summary>Policies by rule name; requests no rule decided, or whose rule is not named here, use <see cref="Default"/>.</summary>
    public IReadOnlyDictionary<string, CachePolicy> Rules { get; init; } = new Dictionary<string, CachePolicy>();

    /// <summary>Most entries held; when full, new answers are not stored (counted) and lookups go on.</summary>
    public int MaxEntries { get; init; } = 200_000;

    public CachePolicy For(string? rule) => rule is not null && Rules.TryGetValue(rule, out var policy) ? policy : Default;

    public IReadOnlyList<string> Problems()
    {
        var problems = Default.Problems("the default cache policy").ToList();
        foreach (var (rule, policy) in Rules)
        {
            problems.AddRange(policy.Problems($"the cache policy of rule \"{rule}\""));
        }

        if (MaxEntries < 1)
        {
            problems.Add($"the cache must hold at least one entry (MaxEntries is {MaxEntries}).");
        }

        return problems;
    }
}
