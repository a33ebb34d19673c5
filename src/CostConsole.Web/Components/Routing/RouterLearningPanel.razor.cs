using System.Globalization;
using CostConsole.Data.Entities;
using CostConsole.Routing.Rules;
using CostConsole.Training;
using CostConsole.Web.Access;
using CostConsole.Web.Routing;
using Microsoft.AspNetCore.Components;

namespace CostConsole.Web.Components.Routing;

/// <summary>
/// The router's learning loop in the console: the draft's exploration share, retraining from the ledger on demand,
/// the auto-publish switch, and the proposals with their figures beside the published router's, to use in the
/// draft or dismiss.
/// </summary>
public sealed partial class RouterLearningPanel : IDisposable
{
    private IReadOnlyList<RouterProposalView> _proposals = [];
    private string _exploration = "0";
    private string _from = "";
    private string _to = "";
    private bool _retraining;
    private bool _autoPublish;
    private string? _error;
    private string? _message;
    private double? _loadedExploration;

    [Inject]
    private RouterRetraining Retraining { get; set; } = null!;

    [Inject]
    private ConsoleAccess Access { get; set; } = null!;

    [Inject]
    private TimeProvider Time { get; set; } = null!;

    [Parameter, EditorRequired]
    public RuleSetDefinition Definition { get; set; } = null!;

    [Parameter]
    public bool Busy { get; set; }

    /// <summary>Saves the whole draft; false when it was refused (the page says why).</summary>
    [Parameter, EditorRequired]
    public Func<RuleSetDefinition, Task<bool>> Save { get; set; } = null!;

    protected override async Task OnInitializedAsync()
    {
        var today = Time.GetUtcNow().UtcDateTime.Date;
        _from = today.AddDays(-7).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        _to = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        Retraining.Changed += OnChanged;
        await LoadAsync();
    }

    protected override void OnParametersSet()
    {
        var share = Definition.Classifier.Trained?.Exploration ?? 0;
        if (_loadedExploration != share)
        {
            _loadedExploration = share;
            _exploration = share.ToString("0.###", CultureInfo.InvariantCulture);
        }
    }

    private async Task LoadAsync()
    {
        _proposals = await Retraining.ListAsync();
        _autoPublish = await Retraining.AutoPublishAsync();
    }

    private void OnChanged() => _ = InvokeAsync(async () =>
    {
        await LoadAsync();
        StateHasChanged();
    });

    private async Task SaveExplorationAsync()
    {
        _error = null;
        _message = null;
        if (!double.TryParse(_exploration, NumberStyles.Float, CultureInfo.InvariantCulture, out var share) || share is < 0 or > TrainedClassifierDefinition.MaxExploration)
        {
            _error = $"The exploration share must be a number from 0 to {TrainedClassifierDefinition.MaxExploration.ToString(CultureInfo.InvariantCulture)}; got '{_exploration}'. The draft was not changed.";
            return;
        }

        var trained = Definition.Classifier.Trained! with { Exploration = share };
        if (await Save(Definition with { Classifier = Definition.Classifier with { Trained = trained } }))
        {
            _message = share == 0
                ? "The draft no longer explores. Publish to make it live."
                : $"The draft explores {share.ToString("0.###", CultureInfo.InvariantCulture)} of the requests its trained classifier decides. Publish to make it live.";
        }
    }

    private async Task RetrainAsync()
    {
        _error = null;
        _message = null;
        if (!TryDay(_from, out var from) || !TryDay(_to, out var to))
        {
            _error = "Give both dates as YYYY-MM-DD.";
            return;
        }

        if (to < from)
        {
            _error = $"The range {_from} to {_to} is empty; choose a start on or before its end. Nothing was trained.";
            return;
        }

        _retraining = true;
        try
        {
            var actor = await Access.ActorAsync(Policies.ManageRouting);
            var result = await Retraining.ProposeAsync(from, to.AddDays(1), "on demand", actor);
            if (result.Proposal is null)
            {
                _error = result.Message;
            }
            else
            {
                _message = result.Message;
            }

            await LoadAsync();
        }
        catch (LabelledFileException ex)
        {
            _error = ex.Message;
        }
        finally
        {
            _retraining = false;
        }
    }

    private async Task AutoPublishChangedAsync(bool on)
    {
        _error = null;
        var actor = await Access.ActorAsync(Policies.ManageRouting);
        await Retraining.SetAutoPublishAsync(on, actor);
        _autoPublish = on;
        _message = on ? "Auto-publish is on: a proposal that beats the published router is published, with an audit entry saying why." : "Auto-publish is off: proposals wait for a person.";
    }

    private async Task UseAsync(RouterProposalView proposal)
    {
        _error = null;
        _message = null;
        if (!await Save(RouterRetraining.WithModel(Definition, proposal.Model)))
        {
            return;
        }

        var actor = await Access.ActorAsync(Policies.ManageRouting);
        var (_, message) = await Retraining.MarkUsedInDraftAsync(proposal.Id, actor);
        _message = message;
        await LoadAsync();
    }

    private async Task DismissAsync(RouterProposalView proposal)
    {
        _error = null;
        var actor = await Access.ActorAsync(Policies.ManageRouting);
        var (done, message) = await Retraining.DismissAsync(proposal.Id, actor);
        _message = done ? message : null;
        _error = done ? null : message;
        await LoadAsync();
    }

    private static string StateText(RouterProposalState state) => state switch
    {
        RouterProposalState.UsedInDraft => "in the draft",
        RouterProposalState.Dismissed => "dismissed",
        RouterProposalState.Published => "published",
        _ => "waiting",
    };

    private static bool TryDay(string text, out DateTimeOffset day)
    {
        var ok = DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed);
        day = ok ? new DateTimeOffset(parsed, TimeSpan.Zero) : default;
        return ok;
    }

    public void Dispose() => Retraining.Changed -= OnChanged;
}
