using System.Globalization;
using CostConsole.Data.Entities;
using CostConsole.Web.Access;
using CostConsole.Web.Budgets;
using CostConsole.Web.Components.Budgets;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

public sealed partial class Budgets : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private List<BudgetEntity> _budgets = [];
    private IReadOnlyList<BudgetState>? _states;
    private IReadOnlyList<ConsoleAlert> _alerts = [];
    private Dictionary<string, string> _keyNames = [];

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    [Inject]
    private BudgetService Service { get; set; } = null!;

    [Inject]
    private BudgetGuard Guard { get; set; } = null!;

    [Inject]
    private AlertCenter Alerts { get; set; } = null!;

    [Inject]
    private IOptions<BudgetOptions> Options { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    private string Zone => Guard.Zone.Id;

    protected override async Task OnInitializedAsync()
    {
        await LoadAsync();
        Alerts.Raised += OnAlert;
        _ = RefreshLoopAsync(_stop.Token);
    }

    private async Task LoadAsync()
    {
        _budgets = [.. await Service.ListAsync()];
        _keyNames = (await Service.ScopeChoicesAsync(BudgetScope.Key)).ToDictionary(c => c.Value, c => c.Label);
        _alerts = Alerts.Recent();
        SetStates(Service.States());
    }

    private void SetStates(IReadOnlyList<BudgetState> states) => _states = states;

    private long OverrunBoundNanoUsd => BudgetGuard.ToNano(Options.Value.MaxOverrunUsd);

    /// <summary>The latest refusals of every budget, newest first.</summary>
    private List<(string Budget, BudgetRefusal Refusal)> Refusals =>
        [.. (_states ?? []).SelectMany(s => s.Refusals.Select(r => (s.Budget.Name, r))).OrderByDescending(r => r.r.At).Take(10)];

    private string LastsText(BudgetState state)
    {
        var now = Time.GetUtcNow();
        return state.LastsUntil(now) is { } until && until < state.PeriodEnd
            ? $"at this rate the budget lasts until {until.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC"
            : "at this rate the budget lasts beyond the period";
    }

    private async Task RefreshLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await InvokeAsync(() =>
                {
                    SetStates(Service.States());
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // The page was closed.
        }
        catch (ObjectDisposedException)
        {
            // The circuit went away.
        }
    }

    private void OnAlert(ConsoleAlert alert) => _ = InvokeAsync(() =>
    {
        _alerts = Alerts.Recent();
        StateHasChanged();
    });

    private BudgetState? StateOf(long id) => _states?.FirstOrDefault(s => s.Budget.Id == id);

    private async Task AddAsync() => await OpenAsync(new BudgetForm(), "Add a budget");

    private async Task EditAsync(BudgetEntity budget) => await OpenAsync(BudgetForm.From(budget), $"Edit budget {budget.Name}");

    private async Task OpenAsync(BudgetForm form, string title)
    {
        var dialog = await Dialogs.ShowAsync<BudgetDialog>(title, new DialogParameters<BudgetDialog> { { d => d.Form, form } },
            new DialogOptions { MaxWidth = MaxWidth.Small, FullWidth = true, CloseOnEscapeKey = true });
        if (await dialog.Result is { Canceled: false })
        {
            Snackbar.Add(form.Id is null ? $"Budget '{form.Name}' added." : $"Budget '{form.Name}' saved.", Severity.Success);
            await LoadAsync();
        }
    }

    private async Task DeleteAsync(BudgetEntity budget)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete budget", $"Delete '{budget.Name}'? Requests it covers are no longer limited by it; the ledger keeps their spend.", yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        await Service.DeleteAsync(budget.Id, await Access.ActorAsync(Policies.ManageBudgets));
        Snackbar.Add($"Budget '{budget.Name}' deleted.", Severity.Success);
        await LoadAsync();
    }

    private string Covers(BudgetEntity budget) => budget.Scope switch
    {
        BudgetScope.Global => "all traffic",
        BudgetScope.Key => "key " + (_keyNames.GetValueOrDefault(budget.ScopeValue ?? "") ?? "#" + budget.ScopeValue + " (revoked)"),
        _ => budget.Scope.ToString().ToLowerInvariant() + " " + budget.ScopeValue,
    };

    private static string Usd(long nano) => BudgetGuard.Usd(nano);

    public void Dispose()
    {
        Alerts.Raised -= OnAlert;
        _stop.Cancel();
        _stop.Dispose();
    }
}
