using CostConsole.Web.Access;
using CostConsole.Routing.Rules;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;
using MudBlazor;

namespace CostConsole.Web.Components.Routing;

public sealed partial class HistoryPanel
{
    [Inject]
    private CostConsole.Web.Access.ConsoleAccess Access { get; set; } = null!;

    /// <summary>The draft's place in the version pickers.</summary>
    private const int Draft = 0;

    private IReadOnlyList<RuleSetVersionView>? _versions;
    private IReadOnlyList<AuditView>? _audit;
    private IReadOnlyDictionary<string, IReadOnlyList<string>>? _defaultMapping;
    private int _from;
    private int _to;
    private bool _busy;

    [Inject]
    private RuleSetService RuleSets { get; set; } = null!;

    [Inject]
    private IDialogService Dialogs { get; set; } = null!;

    [Inject]
    private ISnackbar Snackbar { get; set; } = null!;

    /// <summary>The draft as it is being edited, offered in the comparison as "draft".</summary>
    [Parameter]
    public RuleSetDefinition? DraftDefinition { get; set; }

    [Parameter]
    public EventCallback RolledBack { get; set; }

    private IEnumerable<(int Value, string Label)> Choices =>
        (DraftDefinition is null ? [] : new[] { (Draft, "draft") }).Concat(_versions!.Select(v => (v.Version, $"version {v.Version}")));

    protected override async Task OnInitializedAsync() => await LoadAsync();

    public async Task LoadAsync()
    {
        _versions = await RuleSets.HistoryAsync();
        _audit = await RuleSets.AuditAsync();
        _defaultMapping = await RuleSets.DefaultMappingAsync();
        var live = _versions.FirstOrDefault()?.Version ?? Draft;
        _to = DraftDefinition is null ? live : Draft;
        _from = DraftDefinition is null ? _versions.Skip(1).FirstOrDefault()?.Version ?? live : live;
    }

    private RuleSetDefinition? Find(int version) =>
        version == Draft ? DraftDefinition : _versions?.FirstOrDefault(v => v.Version == version)?.Definition;

    private async Task RollbackAsync(RuleSetVersionView version)
    {
        var confirmed = await Dialogs.ShowMessageBoxAsync(
            "Roll back",
            $"Republish version {version.Version} ({version.Note}) as a new version? It goes live at once, and the draft is discarded so that its changes are not published again by mistake.",
            yesText: "Roll back",
            cancelText: "Cancel");
        if (confirmed != true)
        {
            return;
        }

        _busy = true;
        try
        {
            var result = await RuleSets.RollbackAsync(version.Version, await Access.ActorAsync(Policies.ManageRouting));
            Snackbar.Add(result.Done ? $"Version {version.Version} is live again as version {result.Version!.Version}." : result.Summary, result.Done ? Severity.Success : Severity.Error);
            await LoadAsync();
            await RolledBack.InvokeAsync();
        }
        finally
        {
            _busy = false;
        }
    }
}
