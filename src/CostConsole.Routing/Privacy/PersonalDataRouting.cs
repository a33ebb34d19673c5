using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;

namespace CostConsole.Routing.Privacy;

/// <summary>
/// Where personal data may go. A rule set with a "contains personal data" rule routes personal data: each such rule,
/// and the default route when no catch-all personal-data rule exists, must lead only to providers marked "may receive
/// personal data" (checked at publish), and at run time a request with personal data is kept to those providers' models.
/// </summary>
internal static class PersonalDataRouting
{
    /// <returns>True when the rule set routes personal data (has an enabled personal-data rule).</returns>
    public static bool Check(
        RuleSetDefinition ruleSet, RoutedModel[][] tierModels, IReadOnlyDictionary<string, RoutedModel> byReference, Dictionary<string, int> tierIndex, List<string> errors)
    {
        var rules = ruleSet.Rules.Select((rule, i) => (Rule: rule, Position: i + 1))
            .Where(x => x.Rule.Enabled && x.Rule.Conditions.Any(c => c is PersonalDataCondition)).ToList();
        if (rules.Count == 0)
        {
            return false;
        }

        foreach (var (rule, position) in rules)
        {
            IEnumerable<RoutedModel> models = rule.Action.Model is { Length: > 0 } pinned
                ? byReference.TryGetValue(pinned, out var model) ? [model] : []
                : tierIndex.TryGetValue(rule.Action.Tier ?? "", out var tier) ? tierModels[tier] : [];
            foreach (var unapproved in models.Where(m => !m.Provider.MayReceivePersonalData))
            {
                errors.Add($"Rule #{position} '{rule.Name}' sends personal data to {unapproved.Key}, whose provider '{unapproved.Provider.Name}' is not marked \"may receive personal data\". "
                    + "Mark the provider as approved in the catalogue, or send the rule to a tier or model of an approved provider.");
            }
        }

        var catchAll = rules.Any(x => x.Rule.Conditions is [PersonalDataCondition { Kinds.Count: 0 }]);
        if (!catchAll)
        {
            // Personal data no rule for it catches takes the default route: the default tier, or whichever tier the classifier picks.
            var byClassifier = ruleSet.Classifier.Kind != ClassifierKind.DefaultTier;
            var tiers = byClassifier ? Enumerable.Range(0, tierModels.Length) : tierIndex.TryGetValue(ruleSet.DefaultTier, out var d) ? [d] : [];
            var unapproved = tiers.SelectMany(t => tierModels[t]).Where(m => !m.Provider.MayReceivePersonalData).Select(m => $"{m.Key} ({m.Provider.Name})").Distinct().ToList();
            if (unapproved.Count > 0)
            {
                errors.Add($"Requests with personal data that no personal-data rule catches take the default route ({(byClassifier ? "the classifier, any tier" : $"tier '{ruleSet.DefaultTier}'")}), "
                    + $"which can send them to providers not marked \"may receive personal data\": {string.Join(", ", unapproved)}. "
                    + "Add a rule whose only condition is \"contains personal data\" (any kind) sending it to an approved provider, or mark the providers as approved.");
            }
        }

        return true;
    }

    /// <summary>
    /// The decision's candidates kept to approved providers, for a request with personal data under a rule set that
    /// routes it. Throws the request's refusal when none is left.
    /// </summary>
    public static RoutingDecision KeepToApproved(RoutingDecision decision, PersonalDataFindings findings)
    {
        var approved = 0;
        foreach (var candidate in decision.Candidates)
        {
            approved += candidate.Provider.MayReceivePersonalData ? 1 : 0;
        }

        if (approved == decision.Candidates.Count)
        {
            return decision;
        }

        if (approved == 0)
        {
            throw new Requests.ChatRequestException(
                "personal_data_not_allowed",
                $"This request contains personal data ({findings.Summary}), and the route chosen for it ({decision.Reason}) has no model whose provider may receive personal data. "
                + "Remove the personal data from the request, or ask an admin to route personal data to a provider marked \"may receive personal data\".",
                "messages");
        }

        return decision.WithCandidates([.. decision.Candidates.Where(c => c.Provider.MayReceivePersonalData)], "personal data: only models of approved providers");
    }
}
