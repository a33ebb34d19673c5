using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Routing;

/// <summary>The draft's ordered rules. Every change is handed to the page, which saves the whole draft.</summary>
public sealed partial class RulesPanel
{
    private static readonly DialogOptions Wide = new() { MaxWidth = MaxWidth.Large, FullWidth = true, CloseOnEscapeKey = true };

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Parameter]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter]
    public RuleContext Context { get; set; } = null!;

    [Parameter]
    public bool Busy { get; set; }

    /// <summary>Saves a changed definition; returns false when the save was refused (the page says why).</summary>
    [Parameter]
    public Func<RuleSetDefinition, Task<bool>> Save { get; set; } = null!;

    private Task ChangeDefaultTierAsync(string tier) => Save(Definition with { DefaultTier = tier });

    private async Task AddAsync()
    {
        var form = new RuleForm { Tier = Context.Tiers.FirstOrDefault() ?? "", Conditions = [new ConditionForm { Type = ConditionType.Keywords }] };
        if (await ShowAsync(form, true, null, Definition.Rules.Select(r => r.Name)) is { } rule)
        {
            await Save(Definition with { Rules = [.. Definition.Rules, rule] });
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

    private async Task MoveAsync(int index, int by)
    {
        var rules = Definition.Rules.ToList();
        (rules[index], rules[index + by]) = (rules[index + by], rules[index]);
        await Save(Definition with { Rules = rules });
    }

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
