using CostConsole.Web.Access;
using CostConsole.Web.Experiments;
using FluentValidation.Results;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

public sealed partial class Experiments
{
    private IReadOnlyList<ExperimentView>? _experiments;
    private IReadOnlyDictionary<long, int> _counts = new Dictionary<long, int>();
    private ExperimentChoices? _choices;
    private ExperimentForm? _form;
    private long? _editingId;
    private Guid _editingStamp;
    private IReadOnlyList<ValidationFailure> _failures = [];
    private IReadOnlyList<string> _errors = [];
    private bool _busy;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private ExperimentService Service { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    /// <summary>Support leads and admins run experiments; FinOps reads their results.</summary>
    private bool _canRun;

    protected override async Task OnInitializedAsync()
    {
        _canRun = await Access.CanAsync(Policies.RunExperiments);
        _choices = await Service.ChoicesAsync();
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _experiments = await Service.ListAsync();
        _counts = await Service.RequestCountsAsync();
    }

    private async Task NewAsync()
    {
        _choices = await Service.ChoicesAsync();
        _form = await Service.NewFormAsync();
        _editingId = null;
        ClearErrors();
    }

    private async Task EditAsync(ExperimentView experiment)
    {
        _choices = await Service.ChoicesAsync();
        _form = experiment.ToForm();
        _editingId = experiment.Id;
        _editingStamp = experiment.ConcurrencyStamp;
        ClearErrors();
    }

    private void Cancel()
    {
        _form = null;
        _editingId = null;
        ClearErrors();
    }

    private void ClearErrors()
    {
        _failures = [];
        _errors = [];
    }

    private async Task SaveAsync()
    {
        if (_form is null)
        {
            return;
        }

        _busy = true;
        try
        {
            var validation = await new ExperimentFormValidator(await Service.ContextAsync(_editingId)).ValidateAsync(_form);
            _failures = validation.Errors;
            if (!validation.IsValid)
            {
                _errors = [.. validation.Errors.Select(e => e.ErrorMessage).Distinct()];
                return;
            }

            var result = _editingId is { } id
                ? await Service.UpdateAsync(id, _form, _editingStamp, await Access.ActorAsync(Policies.RunExperiments))
                : await Service.CreateAsync(_form, await Access.ActorAsync(Policies.RunExperiments));
            if (!result.Done)
            {
                _errors = result.Errors;
                return;
            }

            Snackbar.Add(_editingId is null ? $"Draft '{_form.Name}' created. Start it when you are ready." : $"'{_form.Name}' saved.", Severity.Success);
            Cancel();
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task StartAsync(ExperimentView experiment) =>
        await RunAsync(async () => await Service.StartAsync(experiment.Id, await Access.ActorAsync(Policies.RunExperiments)), $"'{experiment.Name}' is running: requests in scope are now split between its arms.");

    private async Task StopAsync(ExperimentView experiment)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Stop experiment", $"Stop '{experiment.Name}'? Requests go back to the default tier mapping; the results are kept.", yesText: "Stop", cancelText: "Keep running");
        if (confirmed == true)
        {
            await RunAsync(async () => await Service.StopAsync(experiment.Id, await Access.ActorAsync(Policies.RunExperiments)), $"'{experiment.Name}' stopped.");
        }
    }

    private async Task DeleteAsync(ExperimentView experiment)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete draft", $"Delete the draft '{experiment.Name}'?", yesText: "Delete", cancelText: "Cancel");
        if (confirmed == true)
        {
            await RunAsync(async () => await Service.DeleteDraftAsync(experiment.Id, await Access.ActorAsync(Policies.RunExperiments)), $"Draft '{experiment.Name}' deleted.");
        }
    }

    private async Task RunAsync(Func<Task<ExperimentResult>> action, string done)
    {
        _busy = true;
        try
        {
            var result = await action();
            Snackbar.Add(result.Done ? done : result.Summary, result.Done ? Severity.Success : Severity.Error);
            await LoadAsync();
        }
        finally
        {
            _busy = false;
        }
    }
}
