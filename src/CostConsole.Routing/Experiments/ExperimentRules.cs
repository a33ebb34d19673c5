using CostConsole.Routing.Decisions;

namespace CostConsole.Routing.Experiments;

/// <summary>What makes an experiment valid, and when two experiments would compete for the same requests.</summary>
public static class ExperimentRules
{
    public const int MaxArms = 5;

    /// <summary>Everything wrong with the experiment's arms and scope, in words an operator can act on.</summary>
    public static IEnumerable<string> Problems(ExperimentDefinition experiment, IReadOnlyList<string> tiers)
    {
        if (string.IsNullOrWhiteSpace(experiment.Salt))
        {
            yield return "the assignment salt is empty.";
        }

        var arms = experiment.Arms;
        if (arms.Count < 2 || arms.Count > MaxArms)
        {
            yield return $"it needs a control and one to {MaxArms - 1} variants, but has {arms.Count} arm(s).";
        }

        if (arms.Any(a => a.Weight is <= 0 or > 100))
        {
            yield return "every arm needs a share of the traffic between 1% and 100%.";
        }
        else if (arms.Sum(a => a.Weight) != 100)
        {
            yield return $"the traffic split must add up to 100%, but adds up to {arms.Sum(a => a.Weight)}%.";
        }

        foreach (var duplicate in arms.GroupBy(a => a.Name.Trim(), StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1 || string.IsNullOrWhiteSpace(g.Key)))
        {
            yield return string.IsNullOrWhiteSpace(duplicate.Key) ? "every arm needs a name." : $"two arms are called '{duplicate.Key}'.";
        }

        foreach (var tier in experiment.Scope.Tiers.Where(t => !tiers.Contains(t, StringComparer.OrdinalIgnoreCase)))
        {
            yield return $"the scope names tier '{tier}', which does not exist.";
        }
    }

    /// <summary>
    /// Where two scopes could take the same request, described for the operator; null when they cannot.
    /// Scopes are disjoint when one dimension both restrict shares nothing, or when one names keys whose
    /// teams are all outside the other's teams.
    /// </summary>
    public static string? Overlap(ExperimentScope a, ExperimentScope b, IReadOnlyDictionary<long, string> keyTeams)
    {
        if (Disjoint(a.ApiKeyIds, b.ApiKeyIds, EqualityComparer<long>.Default)
            || Disjoint(a.Teams, b.Teams, StringComparer.OrdinalIgnoreCase)
            || Disjoint(a.Tiers, b.Tiers, StringComparer.OrdinalIgnoreCase)
            || Disjoint(a.Rules, b.Rules, StringComparer.OrdinalIgnoreCase)
            || KeysOutsideTeams(a.ApiKeyIds, b.Teams, keyTeams)
            || KeysOutsideTeams(b.ApiKeyIds, a.Teams, keyTeams))
        {
            return null;
        }

        return Describe(a, b);
    }

    private static bool Disjoint<T>(IReadOnlyList<T> a, IReadOnlyList<T> b, IEqualityComparer<T> comparer) =>
        a.Count > 0 && b.Count > 0 && !a.Intersect(b, comparer).Any();

    private static bool KeysOutsideTeams(IReadOnlyList<long> keys, IReadOnlyList<string> teams, IReadOnlyDictionary<long, string> keyTeams) =>
        keys.Count > 0 && teams.Count > 0
        && keys.All(k => !keyTeams.TryGetValue(k, out var team) || !teams.Contains(team, StringComparer.OrdinalIgnoreCase));

    private static string Describe(ExperimentScope a, ExperimentScope b)
    {
        var parts = new List<string>();
        if (a.Tiers.Count > 0 || b.Tiers.Count > 0)
        {
            parts.Add("tier " + string.Join(", ", Shared(a.Tiers, b.Tiers)));
        }

        if (a.Rules.Count > 0 || b.Rules.Count > 0)
        {
            parts.Add("rule " + string.Join(", ", Shared(a.Rules, b.Rules)));
        }

        if (a.Teams.Count > 0 || b.Teams.Count > 0)
        {
            parts.Add("team " + string.Join(", ", Shared(a.Teams, b.Teams)));
        }

        if (a.ApiKeyIds.Count > 0 || b.ApiKeyIds.Count > 0)
        {
            var keys = a.ApiKeyIds.Count == 0 ? b.ApiKeyIds : b.ApiKeyIds.Count == 0 ? a.ApiKeyIds : a.ApiKeyIds.Intersect(b.ApiKeyIds).ToList();
            parts.Add(keys.Count == 0 ? "keys of the same team" : "API key " + string.Join(", ", keys.Select(k => "#" + k)));
        }

        return parts.Count == 0 ? "all traffic" : "the requests of " + string.Join(" and ", parts);
    }

    private static IEnumerable<string> Shared(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == 0 ? b : b.Count == 0 ? a : a.Intersect(b, StringComparer.OrdinalIgnoreCase);
}
