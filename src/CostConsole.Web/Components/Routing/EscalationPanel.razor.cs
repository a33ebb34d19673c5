using CostConsole.Routing.Escalation;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Routing;

/// <summary>The draft's escalation policy: how far a request may go up, and each tier's quality gates.</summary>
public sealed partial class EscalationPanel
{
    private EscalationForm _form = new();
    private List<string> _problems = [];
    private EscalationPolicy? _loaded;

    [Parameter, EditorRequired]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter, EditorRequired]
    public IReadOnlyList<string> Tiers { get; set; } = [];

    [Parameter, EditorRequired]
    public IReadOnlyCollection<string> Models { get; set; } = [];

    [Parameter]
    public TimeSpan RegexTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    [Parameter]
    public bool Busy { get; set; }

    [Parameter]
    public Func<RuleSetDefinition, Task<bool>> Save { get; set; } = null!;

    protected override void OnParametersSet()
    {
        // Load the form from the draft again only when the draft's policy changed, so typing is not lost.
        if (!ReferenceEquals(_loaded, Definition.Escalation))
        {
            Load();
        }
    }

    private void Load()
    {
        _loaded = Definition.Escalation;
        _form = EscalationForm.From(_loaded, Tiers, Models.FirstOrDefault());
        _problems = [];
    }

    private static void AddDefaultRefusals(TierGatesForm tier)
    {
        var existing = EscalationForm.Lines(tier.RefusalPhrases);
        var added = TierGates.DefaultRefusalPhrases.Where(p => !existing.Contains(p, StringComparer.OrdinalIgnoreCase));
        tier.RefusalPhrases = string.Join('\n', existing.Concat(added));
    }

    private async Task SaveAsync()
    {
        var result = new EscalationFormValidator(Models, RegexTimeout).Validate(_form);
        _problems = [.. result.Errors.Select(e => e.ErrorMessage).Distinct()];
        if (!result.IsValid)
        {
            return;
        }

        await Save(Definition with { Escalation = _form.ToPolicy() });
    }
}
