using System.Globalization;
using CostConsole.Data.Entities;
using CostConsole.Web.Alerts;
using Microsoft.AspNetCore.Components;
using History = CostConsole.Web.Alerts.AlertHistory;

namespace CostConsole.Web.Components.Pages;

/// <summary>The alert history: episodes of the alert rules, newest first, filtered by rule and state in the address.</summary>
public sealed partial class AlertHistory
{
    private IReadOnlyList<(long Id, string Name)> _rules = [];
    private AlertHistoryPage? _page;

    [Inject]
    private History Episodes { get; set; } = null!;

    [Inject]
    private NavigationManager Navigation { get; set; } = null!;

    [SupplyParameterFromQuery(Name = "rule")]
    public long? RuleId { get; set; }

    [SupplyParameterFromQuery(Name = "state")]
    public string? State { get; set; }

    [SupplyParameterFromQuery(Name = "page")]
    public int? PageNumber { get; set; }

    private AlertEventState StateFilter => Enum.TryParse<AlertEventState>(State, ignoreCase: true, out var state) ? state : AlertEventState.All;

    private string CountText => _page is null ? "" : _page.Total == 1 ? "1 episode" : $"{_page.Total.ToString("#,0", CultureInfo.InvariantCulture)} episodes, page {_page.Page} of {_page.Pages}";

    protected override async Task OnParametersSetAsync()
    {
        _rules = await Episodes.RulesAsync();
        _page = await Episodes.PageAsync(RuleId, StateFilter, PageNumber ?? 1);
    }

    private Task SetRuleAsync(long? rule)
    {
        Navigate(rule, StateFilter, 1);
        return Task.CompletedTask;
    }

    private Task SetStateAsync(AlertEventState state)
    {
        Navigate(RuleId, state, 1);
        return Task.CompletedTask;
    }

    private void GoToPage(int page) => Navigate(RuleId, StateFilter, page);

    private void Navigate(long? rule, AlertEventState state, int page) =>
        Navigation.NavigateTo(Navigation.GetUriWithQueryParameters(new Dictionary<string, object?>
        {
            ["rule"] = rule,
            ["state"] = state == AlertEventState.All ? null : state.ToString().ToLowerInvariant(),
            ["page"] = page == 1 ? null : page,
        }));

    private static string ValueText(AlertEventEntity episode)
    {
        var value = $"{AlertRuleCheck.MetricName(episode.Metric)} was {AlertRuleCheck.Format(episode.Metric, episode.Value)}";
        var against = episode.Mode == AlertMode.Anomaly
            ? $" against {AlertRuleCheck.Format(episode.Metric, episode.Baseline)} in the previous weeks (factor {episode.Threshold.ToString("0.##", CultureInfo.InvariantCulture)})"
            : $" against a threshold of {AlertRuleCheck.Format(episode.Metric, episode.Threshold)}";
        var resolved = episode.ResolvedAt is null ? "" : $"; {AlertRuleCheck.Format(episode.Metric, episode.ResolvedValue)} when it resolved";
        return value + against + resolved + ".";
    }

    private static string TimesText(AlertEventEntity episode)
    {
        var fired = $"Fired {episode.FiredAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC";
        if (episode.ResolvedAt is not { } resolved)
        {
            return fired + ", still firing.";
        }

        var lasted = resolved - episode.FiredAt;
        var duration = lasted.TotalHours >= 1 ? $"{(int)lasted.TotalHours} h {lasted.Minutes} min" : $"{Math.Max(1, (int)Math.Round(lasted.TotalMinutes))} min";
        return $"{fired}, resolved {resolved.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC after {duration}.";
    }

    private static string DeliveryText(AlertDeliveryEntity delivery)
    {
        var what = delivery.Stage == AlertStage.Fired ? "Firing" : "Resolution";
        var where = delivery.Channel == AlertRuleDelivery.Email
            ? $"e-mail to {delivery.Destination}"
            : delivery.Format switch
            {
                WebhookFormat.Slack => "Slack webhook",
                WebhookFormat.Teams => "Teams webhook",
                _ => "webhook " + (Uri.TryCreate(delivery.Destination, UriKind.Absolute, out var url) ? url.Host : delivery.Destination),
            };
        var outcome = delivery.Outcome switch
        {
            AlertDeliveryOutcome.Delivered => "delivered",
            AlertDeliveryOutcome.Failed => "failed",
            _ => "sending",
        };
        return $"{what} → {where}: {outcome}";
    }

    private static MudBlazor.Color OutcomeColor(AlertDeliveryOutcome outcome) => outcome switch
    {
        AlertDeliveryOutcome.Delivered => MudBlazor.Color.Success,
        AlertDeliveryOutcome.Failed => MudBlazor.Color.Error,
        _ => MudBlazor.Color.Default,
    };
}
