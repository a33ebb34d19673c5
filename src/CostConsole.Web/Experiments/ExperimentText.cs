using CostConsole.Routing.Experiments;

namespace CostConsole.Web.Experiments;

/// <summary>How the console writes an experiment's scope and unit.</summary>
public static class ExperimentText
{
    public static string Unit(AssignmentUnitKind unit) => unit switch
    {
        AssignmentUnitKind.Conversation => "conversation",
        AssignmentUnitKind.User => "end user",
        _ => "API key",
    };

    public static string Scope(ExperimentScope scope, ExperimentChoices? choices)
    {
        if (scope.IsAll)
        {
            return "all traffic";
        }

        var parts = new List<string>();
        if (scope.Tiers.Count > 0)
        {
            parts.Add("tier " + string.Join(", ", scope.Tiers));
        }

        if (scope.Rules.Count > 0)
        {
            parts.Add("rule " + string.Join(", ", scope.Rules));
        }

        if (scope.Teams.Count > 0)
        {
            parts.Add("team " + string.Join(", ", scope.Teams));
        }

        if (scope.ApiKeyIds.Count > 0)
        {
            parts.Add("key " + string.Join(", ", scope.ApiKeyIds.Select(id => choices?.Keys.FirstOrDefault(k => k.Id == id).Name ?? $"#{id}")));
        }

        return string.Join("; ", parts);
    }
}
