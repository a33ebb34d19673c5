using CostConsole.Web.Catalogue;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Routing;

public sealed partial class RuleDialog
{
    private MudForm _form = null!;
    private Func<object, string, Task<IEnumerable<string>>> _validate = null!;
    private ConditionFormValidator _conditionValidator = null!;
    private RuleFormValidator _validator = null!;
    private List<string> _errors = [];

    [CascadingParameter]
    private IMudDialogInstance MudDialog { get; set; } = null!;

    [Parameter]
    public RuleForm Form { get; set; } = new();

    [Parameter]
    public RuleContext Context { get; set; } = null!;

    [Parameter]
    public bool IsNew { get; set; }

    [Parameter]
    public string? Original { get; set; }

    private IReadOnlyCollection<string> Tiers => Context.Tiers;

    private IReadOnlyCollection<string> Models => Context.Models;

    private string SafeSummary
    {
        get
        {
            try
            {
                return Form.Summary;
            }
            catch (ArgumentException)
            {
                return "…";
            }
        }
    }

    protected override void OnParametersSet()
    {
        _validator = new RuleFormValidator(Context);
        _conditionValidator = new ConditionFormValidator(Context.RegexTimeout);
        _validate = _validator.ForMudForm();
    }

    private Func<string, Task<IEnumerable<string>>> Check(ConditionForm condition, string property) => _conditionValidator.ForField<ConditionForm, string>(condition, property);

    private Func<long?, Task<IEnumerable<string>>> CheckNumber(ConditionForm condition, string property) => _conditionValidator.ForField<ConditionForm, long?>(condition, property);

    private void Add(ConditionType type) => Form.Conditions.Add(new ConditionForm { Type = type });

    private static void ChangeType(ConditionForm condition, ConditionType type) => condition.Type = type;

    private static string TypeName(ConditionType type) => type switch
    {
        ConditionType.Keywords => "Keywords",
        ConditionType.Regex => "Regex",
        ConditionType.Tokens => "Prompt tokens",
        ConditionType.Metadata => "Metadata / tags",
        ConditionType.Tools => "Tools",
        ConditionType.PersonalData => "Personal data",
        _ => "User turns",
    };

    private async Task SaveAsync()
    {
        await _form.ValidateAsync();
        var result = await _validator.ValidateAsync(Form);
        _errors = [.. result.Errors.Select(e => e.ErrorMessage).Distinct()];
        if (!_form.IsValid || !result.IsValid)
        {
            return;
        }

        MudDialog.Close(DialogResult.Ok(Form.ToDefinition()));
    }
}
