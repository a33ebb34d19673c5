using System.Globalization;
using CostConsole.Data.Entities;
using CostConsole.Web.Alerts;
using CostConsole.Web.Keys;
using CostConsole.Web.Metrics;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;

namespace CostConsole.Web.Components.Pages;

/// <summary>Alert rules beyond budgets: listed with their state, created, edited and deleted; a bad rule says why and changes nothing.</summary>
public sealed partial class AlertRules
{
    private IReadOnlyList<AlertRuleEntity> _rules = [];
    private MetricsChoices? _choices;
    private AlertRuleForm? _form;
    private ChangeResult? _result;

    [Inject]
    private AlertRuleService Rules { get; set; } = null!;

    [Inject]
    private MetricsHistory History { get; set; } = null!;

    [Inject]
    private AuthenticationStateProvider Authentication { get; set; } = null!;

    private string ScopeLabel => _form?.Scope switch
    {
        AlertScope.Team => "Team",
        AlertScope.Key => "Key",
        AlertScope.Rule => "Routing rule",
        _ => "Model",
    };

    private string ThresholdLabel => _form is null ? "" : _form.Mode == AlertMode.Anomaly
        ? "Factor (e.g. 2 for twice)"
        : AlertRuleCheck.IsShare(_form.Metric) ? "Threshold (%)" : _form.Metric switch
        {
            AlertMetric.SpendRate => "Threshold (USD per hour)",
            AlertMetric.LatencyP95 => "Threshold (ms)",
            _ => "Threshold (USD per request)",
        };

    protected override async Task OnInitializedAsync()
    {
        _choices = await History.ChoicesAsync();
        await LoadAsync();
    }

    private async Task LoadAsync() => _rules = await Rules.ListAsync();

    private void New() => (_form, _result) = (new AlertRuleForm(), null);

    private void Edit(AlertRuleEntity rule) => (_form, _result) = (AlertRuleForm.From(rule), null);

    private void SetScope(AlertScope scope)
    {
        _form!.Scope = scope;
        _form.ScopeValue = null;
    }

    private IEnumerable<(string Value, string Label)> ScopeChoices() => _form?.Scope switch
    {
        AlertScope.Team => (_choices?.Teams ?? []).Select(t => (t, t)),
        AlertScope.Key => (_choices?.Keys ?? []).Select(k => (k.Id.ToString(CultureInfo.InvariantCulture), k.Name)),
        AlertScope.Rule => (_choices?.Rules ?? []).Select(r => (r, r)),
        _ => (_choices?.Models ?? []).Select(m => (m, m)),
    };

    private string? KeyName(AlertRuleEntity rule) =>
        rule.Scope == AlertScope.Key && long.TryParse(rule.ScopeValue, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id)
            ? _choices?.Keys.FirstOrDefault(k => k.Id == id).Name
            : null;

    private static string State(AlertRuleEntity rule)
    {
        if (rule.LastEvaluatedAt is not { } at)
        {
            return "Not evaluated yet: the next minute evaluates it.";
        }

        var value = $"Last evaluated {at:yyyy-MM-dd HH:mm} UTC: {AlertRuleCheck.Format(rule.Metric, rule.LastValue)}";
        if (rule.Mode == AlertMode.Anomaly)
        {
            value += rule.LastBaseline is null ? ", no traffic in the previous weeks to compare with yet" : $" against {AlertRuleCheck.Format(rule.Metric, rule.LastBaseline)} in the previous weeks";
        }

        return rule.Firing && rule.FiringSince is { } since ? $"{value}. Firing since {since:yyyy-MM-dd HH:mm} UTC." : value + ".";
    }

    private bool Has(string field) => _result?.Errors.ContainsKey(field) == true;

    private string? ErrorOf(string field) => _result?.Errors.GetValueOrDefault(field) is { } errors ? string.Join(" ", errors) : null;

    private async Task SaveAsync()
    {
        var user = (await Authentication.GetAuthenticationStateAsync()).User.Identity?.Name ?? "console";
        _result = await Rules.SaveAsync(_form!, user);
        if (_result.Saved)
        {
            (_form, _result) = (null, null);
            await LoadAsync();
        }
    }

    private async Task DeleteAsync(AlertRuleEntity rule)
    {
        var user = (await Authentication.GetAuthenticationStateAsync()).User.Identity?.Name ?? "console";
        await Rules.DeleteAsync(rule.Id, user);
        await LoadAsync();
    }
}
