using System.Globalization;
using CostConsole.Data.Entities;
using CostConsole.Web.Access;
using CostConsole.Web.Budgets;
using CostConsole.Web.Components.Budgets;
using CostConsole.Web.Components.Charts;
using ChartOptions = CostConsole.Web.Components.Charts.ChartOptions;
using ChartType = CostConsole.Web.Components.Charts.ChartType;
using ChartSeries = CostConsole.Web.Components.Charts.ChartSeries;
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
    private ApexChart? _chart;
    private string _chartKey = "";
    private ChartOptions _chartOptions = new();

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

    private void SetStates(IReadOnlyList<BudgetState> states)
    {
        _states = states;
        var key = string.Join('\n', states.Select(s => s.Budget.Name));
        if (key != _chartKey)
        {
            _chartKey = key;
            _chartOptions = new ChartOptions
            {
                Type = ChartType.Bar,
                Format = ChartFormat.Usd,
                Stacked = true,
                Height = Math.Max(140, 70 + (48 * states.Count)),
                Colors = ["#2f5d8a", "#e6a23c", "#b7d7c4"],
                Categories = [.. states.Select(s => s.Budget.Name)],
                NoData = "No enabled budget",
            };
        }
    }

    /// <summary>Spent, reserved and remaining per budget; a budget past its limit shows no remainder.</summary>
    private static IReadOnlyList<ChartSeries> ChartSeriesOf(IReadOnlyList<BudgetState> states) =>
    [
        new("Spent", [.. states.Select((s, i) => new ChartPoint(i, s.SpentNanoUsd / 1e9))]),
        new("Reserved", [.. states.Select((s, i) => new ChartPoint(i, s.ReservedNanoUsd / 1e9))]),
        new("Remaining", [.. states.Select((s, i) => new ChartPoint(i, s.RemainingNanoUsd / 1e9))]),
    ];

    private async Task RefreshLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(2));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                await InvokeAsync(async () =>
                {
                    var before = _chartKey;
                    SetStates(Service.States());
                    if (_chart is not null && before == _chartKey)
                    {
                        await _chart.UpdateSeriesAsync(ChartSeriesOf(_states!));
                    }

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

    private static double Share(long part, long whole) => whole <= 0 ? 0 : Math.Min(1, (double)part / whole);

    public void Dispose()
    {
        Alerts.Raised -= OnAlert;
        _stop.Cancel();
        _stop.Dispose();
    }
}
