using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Routing;

/// <summary>The draft's ordered rules. Every change is handed to the page, which saves the whole draft.</summary>
public sealed partial class RulesPanel
{
    private static readonly DialogOptions Wide = new() { MaxWidth = MaxWidth.Large, FullWidth = true, CloseOnEscapeKey = true };

    private RuleSetDefinition? _checked;
    private Dictionary<string, RuleShadow> _shadows = new(StringComparer.OrdinalIgnoreCase);
    private int? _dragging;
    private int? _over;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private RoutingLab Lab { get; set; } = null!;

    [Parameter]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter]
    public RuleContext Context { get; set; } = null!;

    [Parameter]
    public bool Busy { get; set; }

    /// <summary>Saves a changed definition; returns false when the save was refused (the page says why).</summary>
    [Parameter]
    public Func<RuleSetDefinition, Task<bool>> Save { get; set; } = null!;

    /// <summary>Re-runs the shadow check whenever the page hands in a changed definition.</summary>
    protected override async Task OnParametersSetAsync()
    {
        if (ReferenceEquals(_checked, Definition))
        {
            return;
        }

        _checked = Definition;
        var shadows = await Lab.ShadowsAsync(Definition, Context.RegexTimeout);
        _shadows = shadows.ToDictionary(s => s.Rule, StringComparer.OrdinalIgnoreCase);
    }

    private Task ChangeDefaultTierAsync(string tier) => Save(Definition with { DefaultTier = tier });

    private async Task AddAsync()
    {
        var form = new RuleForm { Tier = Context.Tiers.FirstOrDefault() ?? "", Conditions = [new ConditionForm { Type = ConditionType.Keywords }] };
        if (await ShowAsync(form, true, null, Definition.Rules.Select(r => r.Name)) is { } rule)
        {
            var rules = Definition.Rules.ToList();
            rules.Insert(form.InsertAt(rules), rule);
            await Save(Definition with { Rules = rules });
        }
    }

    private async Task EditAsync(int index)
    {
        var original = Definition.Rules[index];
        var others = Definition.Rules.Where((_, i) => i != index).Select(r => r.Name);
        if (await ShowAsync(RuleForm.From(original), false, original.Name, others) is { } rule)
        {
            await Save(Definition with { Rules = [.. Definition.Rules.Select((r, i) => i == index ? rule : r)] });
        }
    }

    private async Task DuplicateAsync(int index)
    {
        var original = Definition.Rules[index];
        var name = original.Name + "-copy";
        for (var n = 2; Definition.Rules.Any(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase)); n++)
        {
            name = $"{original.Name}-copy{n}";
        }

        var rules = Definition.Rules.ToList();
        rules.Insert(index + 1, original with { Name = name, Enabled = false });
        await Save(Definition with { Rules = rules });
    }

    private async Task DeleteAsync(int index)
    {
        var rule = Definition.Rules[index];
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete rule", $"Delete rule '{rule.Name}' ({RuleText.Summarize(rule)}) from the draft? The published rule set is not affected until you publish.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed == true)
        {
            await Save(Definition with { Rules = [.. Definition.Rules.Where((_, i) => i != index)] });
        }
    }

    /// <summary>A row dropped onto another takes that row's place; the draft is saved like any other change.</summary>
    private async Task DropAsync(int target)
    {
        var from = _dragging;
        _dragging = null;
        _over = null;
        if (from is not { } index || index == target || Busy || index >= Definition.Rules.Count || target >= Definition.Rules.Count)
        {
            return;
        }

        var rules = Definition.Rules.ToList();
        var rule = rules[index];
        rules.RemoveAt(index);
        rules.Insert(target, rule);
        await Save(Definition with { Rules = rules });
    }

    private string RowClass(RuleDefinition rule, int index) =>
        (rule.Enabled ? "" : "mud-text-disabled") + (_dragging is { } from && from != index && _over == index ? " mud-theme-primary" : "");

    private async Task MoveAsync(int index, int by)
    {
        var rules = Definition.Rules.ToList();
        (rules[index], rules[index + by]) = (rules[index + by], rules[index]);
        await Save(Definition with { Rules = rules });
    }

    /// <summary>Moves a shadowed rule to just above the rule that catches its prompts first.</summary>
    private async Task MoveAboveAsync(int index, int position)
    {
        var rules = Definition.Rules.ToList();
        var rule = rules[index];
        rules.RemoveAt(index);
        rules.Insert(position - 1, rule);
        await Save(Definition with { Rules = rules });
    }

    private static string ShadowText(RuleShadow shadow)
    {
        var by = shadow.By[0];
        var example = $"e.g. “{by.Example}”";
        var others = shadow.By.Count > 1 ? $" (and {shadow.By.Count - 1} more rule{(shadow.By.Count > 2 ? "s" : "")} above it)" : "";
        return shadow.NeverMatches
            ? $"Never matches: every prompt it would catch ({Prompts(shadow.Catches)} among its examples and recent requests) is caught first by #{by.Position} '{by.Name}'{others}, {example}."
            : $"Partly shadowed: {shadow.CaughtEarlier} of the {Prompts(shadow.Catches)} it would catch among its examples and recent requests go to #{by.Position} '{by.Name}' first{others}, {example}.";
    }

    private static string Prompts(int count) => count == 1 ? "1 prompt" : $"{count:N0} prompts";

    private async Task SetEnabledAsync(int index, bool enabled) =>
        await Save(Definition with { Rules = [.. Definition.Rules.Select((r, i) => i == index ? r with { Enabled = enabled } : r)] });

    private async Task<RuleDefinition?> ShowAsync(RuleForm form, bool isNew, string? original, IEnumerable<string> otherNames)
    {
        var parameters = new DialogParameters<RuleDialog>
        {
            { d => d.Form, form },
            { d => d.IsNew, isNew },
            { d => d.Original, original },
            { d => d.Context, Context with { OtherNames = [.. otherNames] } },
        };
        var dialog = await Dialogs.ShowAsync<RuleDialog>(null, parameters, Wide);
        return await dialog.Result is { Canceled: false, Data: RuleDefinition rule } ? rule : null;
    }
}
