using CostConsole.Web.Access;
using System.Text.Json;
using CostConsole.Data.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Components.Routing;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Options;
using MudBlazor;

namespace CostConsole.Web.Components.Pages;

public sealed partial class RoutingPage
{
    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    private RuleSetVersionView? _draft;
    private RuleSetVersionView? _published;
    private RuleContext? _context;
    private IReadOnlyList<string> _tiers = [];
    private bool _unpublished;
    private bool _busy;
    private bool _conflict;
    private string? _message;
    private HistoryPanel? _history;
    private MudTabs? _tabs;
    private MudTabPanel? _historyTab;
    private bool _showChanges;

    /// <summary><c>changes</c> opens the History tab on the draft against the live version (the link an experiment rollout gives).</summary>
    [SupplyParameterFromQuery(Name = "show")]
    public string? Show { get; set; }

    [Inject]
    private RuleSetService RuleSets { get; set; } = null!;

    [Inject]
    private CatalogueService Catalogue { get; set; } = null!;

    [Inject]
    private RoutingState Routing { get; set; } = null!;

    [Inject]
    private IOptions<CostConsoleOptions> Options { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    private bool _canEdit;

    protected override async Task OnInitializedAsync()
    {
        _canEdit = await Access.CanAsync(Policies.ManageRouting);
        _showChanges = string.Equals(Show, "changes", StringComparison.OrdinalIgnoreCase);
        await ReloadAsync();
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_showChanges && _tabs is not null && _historyTab is not null)
        {
            _showChanges = false;
            await _tabs.ActivatePanelAsync(_historyTab);
        }
    }

    private async Task ReloadAsync()
    {
        _message = null;
        _conflict = false;
        _tiers = await Catalogue.TiersAsync();
        var snapshot = Routing.Current;
        _context = new RuleContext(
            [],
            _tiers,
            [.. snapshot.Models.Select(m => snapshot.FindModel(m.Model.Id)?.Key == m.Key ? m.Model.Id : m.Key)],
            TimeSpan.FromMilliseconds(Options.Value.RegexTimeoutMilliseconds));
        _published = await RuleSets.PublishedAsync();
        // A read-only role looks at the published rules; only an editor starts a draft.
        _draft = _canEdit ? await RuleSets.DraftAsync(await Access.ActorAsync(Policies.ManageRouting)) : _published;
        _unpublished = Differs(_draft, _published);
        if (_history is not null)
        {
            await _history.LoadAsync();
        }
    }

    /// <summary>Saves the whole draft; the page shows why when it is refused or someone else saved first.</summary>
    private async Task<bool> SaveAsync(RuleSetDefinition definition)
    {
        _busy = true;
        try
        {
            var result = await RuleSets.SaveDraftAsync(definition, _draft!.ConcurrencyStamp, await Access.ActorAsync(Policies.ManageRouting));
            if (!result.Done)
            {
                _conflict = result.Conflict is not null;
                _message = _conflict ? result.Conflict : "Not saved: " + result.Summary;
                return false;
            }

            _message = null;
            _draft = result.Version;
            _unpublished = Differs(_draft!, _published!);
            return true;
        }
        finally
        {
            _busy = false;
            StateHasChanged();
        }
    }

    private async Task PublishAsync()
    {
        var dialog = await Dialogs.ShowAsync<PublishDialog>(null, new DialogParameters<PublishDialog> { { d => d.Before, _published!.Definition }, { d => d.After, _draft!.Definition }, { d => d.DefaultMapping, await RuleSets.DefaultMappingAsync() } },
            new DialogOptions { MaxWidth = MaxWidth.Medium, FullWidth = true, CloseOnEscapeKey = true });
        if (await dialog.Result is not { Canceled: false, Data: string note })
        {
            return;
        }

        _busy = true;
        try
        {
            var result = await RuleSets.PublishAsync(_draft!.ConcurrencyStamp, note, await Access.ActorAsync(Policies.ManageRouting));
            if (!result.Done)
            {
                _conflict = result.Conflict is not null;
                _message = _conflict ? result.Conflict : "Not published: " + result.Summary;
                return;
            }

            Snackbar.Add($"Version {result.Version!.Version} is live.", Severity.Success);
            await ReloadAsync();
        }
        finally
        {
            _busy = false;
        }
    }

    private async Task DiscardAsync()
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync("Discard draft", "Throw away every unpublished change and start again from the live rule set?", yesText: "Discard", cancelText: "Keep editing");
        if (confirmed != true)
        {
            return;
        }

        var result = await RuleSets.DiscardDraftAsync(_draft!.ConcurrencyStamp);
        if (!result.Done)
        {
            _conflict = true;
            _message = result.Summary;
            return;
        }

        Snackbar.Add("Draft discarded.", Severity.Info);
        await ReloadAsync();
    }

    private static bool Differs(RuleSetVersionView draft, RuleSetVersionView published) =>
        JsonSerializer.Serialize(draft.Definition, RoutingJson.Options) != JsonSerializer.Serialize(published.Definition, RoutingJson.Options);
}
