using CostConsole.Routing.Caching;
using CostConsole.Web.Access;
using CostConsole.Web.Caching;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.ResponseCache;

/// <summary>The default cache policy and the policies of rules: listed, edited, given to a rule or taken back.</summary>
public sealed partial class CachePolicyEditor : IDisposable
{
    private CachePolicyForm? _form;
    private Guid? _openedStamp;
    private string? _newRule;
    private string? _problem;
    private bool _busy;

    [Inject]
    private CachePolicies CachePolicies { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    /// <summary>Whether the user may change the policies; the list is shown either way.</summary>
    [Parameter]
    public bool CanEdit { get; set; } = true;

    /// <summary>Raised after a change is saved, so the page shows the new policies elsewhere too.</summary>
    [Parameter]
    public EventCallback Saved { get; set; }

    public void Dispose() => CachePolicies.Changed -= OnChanged;

    // A change saved elsewhere on the page (a threshold picked on the curve) or in another tab shows here at once.
    protected override void OnInitialized() => CachePolicies.Changed += OnChanged;

    private void OnChanged() => _ = InvokeAsync(StateHasChanged);

    private IEnumerable<(string? Rule, CachePolicy Policy)> Rows =>
        [(null, CachePolicies.Settings.Default), .. CachePolicies.Settings.Rules.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => ((string?)r.Key, r.Value))];

    private IReadOnlyList<string> RulesWithoutPolicy => [.. CachePolicies.Context().Rules.Where(r => !CachePolicies.Settings.Rules.ContainsKey(r))];

    private void Edit(string? rule)
    {
        _form = CachePolicyForm.From(rule, CachePolicies.Settings.For(rule));
        _openedStamp = CachePolicies.Stamp;
        _problem = null;
    }

    private void Cancel()
    {
        _form = null;
        _problem = null;
    }

    private async Task SaveAsync()
    {
        _busy = true;
        try
        {
            var form = _form!;
            var change = await CachePolicies.SaveAsync(form, _openedStamp, await Access.ActorAsync(Policies.ManageRouting));
            if (!change.Saved)
            {
                _problem = change.Problem;
                return;
            }

            _form = null;
            _problem = null;
            _newRule = null;
            Snackbar.Add(form.Rule is null ? "The default cache policy is saved and in force." : $"Rule {form.Rule}'s cache policy is saved and in force.", Severity.Success);
            await Saved.InvokeAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task RemoveAsync(string rule)
    {
        var change = await CachePolicies.RemoveAsync(rule, CachePolicies.Stamp, await Access.ActorAsync(Policies.ManageRouting));
        _problem = change.Problem;
        if (change.Saved)
        {
            _form = null;
            Snackbar.Add($"Rule {rule} follows the default cache policy again.", Severity.Success);
            await Saved.InvokeAsync();
        }
    }

    private static string PolicyTestId(string? rule) => rule is null ? "cache-policy-default" : $"cache-policy-{rule}";

    private static string EditTestId(string? rule) => rule is null ? "cache-policy-edit-default" : $"cache-policy-edit-{rule}";
}
