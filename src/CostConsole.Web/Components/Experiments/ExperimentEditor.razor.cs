using CostConsole.Routing.Experiments;
using CostConsole.Web.Experiments;
using CostConsole.Web.Experiments.Statistics;
using FluentValidation.Results;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Experiments;

/// <summary>The create/edit form of an experiment: scope, unit, arms with their split and mappings, sample size.</summary>
public sealed partial class ExperimentEditor
{
    [Parameter, EditorRequired]
    public ExperimentForm Form { get; set; } = null!;

    [Parameter, EditorRequired]
    public ExperimentChoices Choices { get; set; } = null!;

    [Parameter]
    public long? EditingId { get; set; }

    /// <summary>The validation failures of the last save, by property path.</summary>
    [Parameter]
    public IReadOnlyList<ValidationFailure> Failures { get; set; } = [];

    /// <summary>Reasons the service refused the last save (beyond the form's own checks).</summary>
    [Parameter]
    public IReadOnlyList<string> Errors { get; set; } = [];

    [Parameter]
    public bool Busy { get; set; }

    [Parameter]
    public EventCallback OnSave { get; set; }

    [Parameter]
    public EventCallback OnCancel { get; set; }

    private bool FieldHasError(string property) => Failures.Any(f => f.PropertyName == property);

    private string? FieldError(string property) => Failures.FirstOrDefault(f => f.PropertyName == property)?.ErrorMessage;

    private string SampleSizeText
    {
        get
        {
            var baseline = Form.BaselineResolutionPercent / 100;
            var expected = baseline - Form.MinimumEffectPoints / 100;
            if (!(baseline is > 0 and < 1) || !(expected is > 0 and < 1) || Form.MinimumEffectPoints <= 0)
            {
                return "Enter a rate between 1% and 99% and a drop that keeps it above 0%.";
            }

            var n = ExperimentStatistics.SampleSizeForProportions(baseline, expected);
            return $"Needs {n:N0} requests with resolution feedback in every arm to detect a drop from {baseline:P0} to {expected:P1} (two-sided α = 0.05, power 0.8). No verdict is shown before that.";
        }
    }

    private static string UnitHelp(AssignmentUnitKind unit) => unit switch
    {
        AssignmentUnitKind.Conversation => "Requests without the header are not enrolled.",
        AssignmentUnitKind.User => "Requests without a user field are not enrolled.",
        _ => "Every request of a key gets the same arm.",
    };

    private string KeyName(long id) => Choices.Keys.FirstOrDefault(k => k.Id == id).Name ?? $"#{id}";

    /// <summary>The model that answers the tier first in this arm.</summary>
    private static string? First(ArmForm arm, string tier) => arm.Tiers.GetValueOrDefault(tier) is [var first, ..] ? first : null;

    private static IReadOnlyCollection<string> Fallbacks(ArmForm arm, string tier) => arm.Tiers.GetValueOrDefault(tier) is [_, .. var rest] ? rest : [];

    /// <summary>Choosing another first model replaces it; the fallbacks stay, without the new first model.</summary>
    private static void SetFirst(ArmForm arm, string tier, string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return;
        }

        arm.Tiers[tier] = [model, .. Fallbacks(arm, tier).Where(m => m != model)];
    }

    /// <summary>Keeps the order in which fallbacks were picked: it is the order they are tried in.</summary>
    private static void SetFallbacks(ArmForm arm, string tier, IEnumerable<string>? selected)
    {
        var first = First(arm, tier);
        var chosen = selected?.Where(m => m != first).ToHashSet(StringComparer.Ordinal) ?? [];
        var current = Fallbacks(arm, tier);
        arm.Tiers[tier] = [.. first is null ? [] : new[] { first }, .. current.Where(chosen.Contains), .. chosen.Where(m => !current.Contains(m)).Order(StringComparer.Ordinal)];
    }

    /// <summary>Arms that answer a tier first with the same model but list other fallbacks: they differ there only in fallbacks, which few requests reach.</summary>
    private IEnumerable<string> SharedFirstModels()
    {
        foreach (var tier in Choices.Tiers)
        {
            foreach (var group in Form.Arms.Where(a => First(a, tier) is not null).GroupBy(a => First(a, tier)!, StringComparer.Ordinal).Where(g => g.Count() > 1))
            {
                // Arms the same on this tier are the usual case (the experiment changes another tier); differing only
                // after the first model is the trap.
                if (group.Select(a => string.Join('\n', Fallbacks(a, tier))).Distinct(StringComparer.Ordinal).Count() > 1)
                {
                    var names = group.Select(a => string.IsNullOrWhiteSpace(a.Name) ? "(unnamed)" : a.Name);
                    yield return $"Tier {tier}: {string.Join(" and ", names)} are all answered first by {group.Key}; there they differ only in fallbacks, which few requests reach.";
                }
            }
        }
    }

    private void SetWeight(ArmForm arm, int weight)
    {
        arm.Weight = Math.Clamp(weight, 1, 99);

        // With two arms the other one takes the rest, so the split stays at 100%.
        if (Form.Arms.Count == 2)
        {
            Form.Arms.First(a => !ReferenceEquals(a, arm)).Weight = 100 - arm.Weight;
        }
    }

    private void EvenSplit()
    {
        var share = 100 / Form.Arms.Count;
        for (var i = 0; i < Form.Arms.Count; i++)
        {
            Form.Arms[i].Weight = share + (i < 100 % Form.Arms.Count ? 1 : 0);
        }
    }

    private void AddVariant()
    {
        Form.Arms.Add(Form.Arms[0].Copy($"variant {Form.Arms.Count}", 0));
        EvenSplit();
    }

    private void RemoveArm(ArmForm arm)
    {
        Form.Arms.Remove(arm);
        EvenSplit();
    }
}
