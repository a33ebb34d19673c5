using CostConsole.Simulator;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace CostConsole.Web.Components.Settings;

/// <summary>The simulator's fault injection per model, changed while the app runs.</summary>
public sealed partial class SimulatedModelsPanel
{
    private static readonly SimulatedModelFormValidator Validator = new();

    private List<SimulatedModelForm> _forms = [];
    private string? _error;

    [Inject]
    private SimulatorSettings Simulator { get; set; } = null!;

    [Inject]
    private IOptions<SimulatorOptions> Options { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    protected override void OnInitialized() => Load();

    private void Load() => _forms = [.. Simulator.Models.Select(SimulatedModelForm.From)];

    private async Task ApplyAsync(SimulatedModelForm form)
    {
        _error = null;
        if (!await Access.CanAsync(CostConsole.Web.Access.Policies.ManageSettings))
        {
            _error = "Your role does not allow this change.";
            return;
        }

        var check = Validator.Validate(form);
        if (!check.IsValid)
        {
            _error = string.Join(" ", check.Errors.Select(e => e.ErrorMessage));
            return;
        }

        var current = Simulator.Find(form.Id);
        if (current is null)
        {
            _error = $"The simulator no longer has a model '{form.Id}'.";
            return;
        }

        try
        {
            Simulator.Update(form.ApplyTo(current));
        }
        catch (ArgumentException ex)
        {
            _error = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
            return;
        }

        Snackbar.Add($"{form.Id}: applied. New requests use these settings.", Severity.Success);
        Replace(form.Id);
    }

    /// <summary>Back to the profile the app started with (configuration, or the built-in defaults).</summary>
    private async Task ResetAsync(SimulatedModelForm form)
    {
        _error = null;
        if (!await Access.CanAsync(CostConsole.Web.Access.Policies.ManageSettings))
        {
            _error = "Your role does not allow this change.";
            return;
        }

        var configured = Options.Value.Models.Count == 0 ? SimulatorOptions.DefaultModels : Options.Value.Models;
        var original = configured.FirstOrDefault(m => string.Equals(m.Id, form.Id, StringComparison.Ordinal));
        if (original is null)
        {
            _error = $"'{form.Id}' is not in the configuration, so it has no defaults to go back to.";
            return;
        }

        Simulator.Update(original);
        Snackbar.Add($"{form.Id}: back to its defaults.", Severity.Info);
        Replace(form.Id);
    }

    private void Replace(string id)
    {
        var index = _forms.FindIndex(f => f.Id == id);
        if (index >= 0 && Simulator.Find(id) is { } profile)
        {
            _forms[index] = SimulatedModelForm.From(profile);
        }
    }
}
