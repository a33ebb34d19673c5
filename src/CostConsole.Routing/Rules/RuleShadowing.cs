using CostConsole.Routing.Decisions;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Rules;

/// <summary>An earlier rule that catches prompts a later rule would catch: how many, and one of them to show.</summary>
public sealed record ShadowingRule(string Name, int Position, int Prompts, string Example);

/// <summary>
/// A rule that loses prompts to earlier rules: of the <see cref="Catches"/> prompts it would catch on its own,
/// <see cref="CaughtEarlier"/> are decided by a rule above it, listed in <see cref="By"/> (most prompts first).
/// </summary>
public sealed record RuleShadow(string Rule, int Position, int Catches, int CaughtEarlier, IReadOnlyList<ShadowingRule> By)
{
    /// <summary>Every prompt it would catch goes to an earlier rule: as far as these prompts show, the rule never matches.</summary>
    public bool NeverMatches => CaughtEarlier == Catches;
}

/// <summary>
/// Finds rules that earlier rules shadow in a first-match list. Each enabled rule is tried on its own example
/// prompts and on the given traffic; a prompt it matches that an enabled rule above it also matches never reaches it.
/// </summary>
public static class RuleShadowing
{
    private const int ExampleLength = 120;

    /// <returns>The shadowed rules in rule order; empty when no rule loses a prompt. Rules that do not compile are skipped.</returns>
    public static IReadOnlyList<RuleShadow> Check(RuleSetDefinition ruleSet, IReadOnlyList<RoutingInput> traffic, ITokenCounter tokens, TimeSpan regexTimeout)
    {
        var keywords = new KeywordIndex();
        var errors = new List<string>();
        var rules = new CompiledRule?[ruleSet.Rules.Count];
        for (var i = 0; i < rules.Length; i++)
        {
            var rule = ruleSet.Rules[i];
            if (!rule.Enabled || rule.Conditions.Count == 0)
            {
                continue;
            }

            errors.Clear();
            var conditions = rule.Conditions.Select(c => SnapshotCompiler.CompileCondition(c, keywords, regexTimeout, rule.Name, errors)).ToList();
            if (errors.Count == 0)
            {
                rules[i] = new CompiledRule(rule.Name, i + 1, [.. conditions.Select(c => c!).OrderBy(c => c.Cost)], "", null, null);
            }
        }

        var catches = new int[rules.Length];
        var caught = new int[rules.Length];
        var by = new Dictionary<(int Rule, int Earlier), (int Prompts, string Example)>();
        var matched = new bool[rules.Length];

        void Try(RoutingInput input, int? exampleOf)
        {
            using var request = input.ToRequest(tokens);
            var evaluation = RuleEvaluation.Rent(request, regexTimeout);
            try
            {
                var last = exampleOf ?? rules.Length - 1;
                for (var i = 0; i <= last; i++)
                {
                    matched[i] = rules[i]?.Matches(evaluation) == true;
                }

                for (var j = exampleOf ?? 0; j <= last; j++)
                {
                    if (!matched[j])
                    {
                        continue;
                    }

                    catches[j]++;
                    var earlier = Array.IndexOf(matched, true, 0, j);
                    if (earlier >= 0)
                    {
                        caught[j]++;
                        by[(j, earlier)] = by.TryGetValue((j, earlier), out var seen) ? (seen.Prompts + 1, seen.Example) : (1, Shorten(input.LastUserText));
                    }
                }
            }
            finally
            {
                RuleEvaluation.Return(evaluation);
            }
        }

        foreach (var input in traffic)
        {
            Try(input, null);
        }

        for (var j = 0; j < rules.Length; j++)
        {
            if (rules[j] is null)
            {
                continue;
            }

            foreach (var example in ruleSet.Rules[j].Examples.Where(e => !string.IsNullOrWhiteSpace(e)))
            {
                Try(new RoutingInput(example, 1, false, new Dictionary<string, string>(), [], tokens.CountTokens(example) + 6), j);
            }
        }

        var shadows = new List<RuleShadow>();
        for (var j = 0; j < rules.Length; j++)
        {
            if (caught[j] == 0)
            {
                continue;
            }

            var shadowing = by.Where(e => e.Key.Rule == j)
                .OrderByDescending(e => e.Value.Prompts).ThenBy(e => e.Key.Earlier)
                .Select(e => new ShadowingRule(ruleSet.Rules[e.Key.Earlier].Name, e.Key.Earlier + 1, e.Value.Prompts, e.Value.Example))
                .ToList();
            shadows.Add(new RuleShadow(ruleSet.Rules[j].Name, j + 1, catches[j], caught[j], shadowing));
        }

        return shadows;
    }

    private static string Shorten(string prompt) => prompt.Length <= ExampleLength ? prompt : prompt[..(ExampleLength - 1)] + "…";
}
