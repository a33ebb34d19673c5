using Bunit;
using Bunit.TestDoubles;
using CostConsole.Data.Entities;
using CostConsole.Web.Alerts;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using AlertHistoryPage = CostConsole.Web.Components.Pages.AlertHistory;

namespace CostConsole.Web.Tests.Components;

public sealed class AlertHistoryPageTests : ConsoleTestContext
{
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);

    private async Task<IRenderedComponent<AlertHistoryPage>> RenderAtAsync(string address)
    {
        await Database.QueryAsync(async db =>
        {
            db.AlertRules.Add(new AlertRuleEntity { Id = 1, Name = "Spend runs hot", Metric = AlertMetric.SpendRate, Threshold = 5, WindowMinutes = 60 });
            // 24 resolved episodes of the spend rule, one every hour, each with its webhook delivery; the latest still firing.
            for (var i = 0; i < 24; i++)
            {
                var fired = Start.AddHours(i);
                var episode = new AlertEventEntity
                {
                    RuleId = 1, RuleName = "Spend runs hot", Metric = AlertMetric.SpendRate, Condition = "Spend per hour of all traffic above $5.00 over 60 min",
                    Threshold = 5, Value = 9, FiredAt = fired, FiredMessage = "fired",
                    ResolvedAt = i == 23 ? null : fired.AddMinutes(25), ResolvedValue = i == 23 ? null : 2, ResolvedMessage = i == 23 ? null : "resolved",
                };
                episode.Deliveries.Add(new AlertDeliveryEntity { Stage = AlertStage.Fired, Channel = AlertRuleDelivery.Webhook, Destination = "https://hooks.slack.test/T1", Format = WebhookFormat.Slack, Outcome = AlertDeliveryOutcome.Delivered, At = fired });
                db.AlertEvents.Add(episode);
            }

            // A rule deleted since, whose e-mail failed.
            var slow = new AlertEventEntity
            {
                RuleId = 2, RuleName = "Support is slow", Metric = AlertMetric.LatencyP95, Condition = "p95 latency of team support above 1,500 ms over 60 min",
                Threshold = 1500, Value = 1900, FiredAt = Start.AddMinutes(30), FiredMessage = "fired", ResolvedAt = Start.AddMinutes(95), ResolvedValue = 800, ResolvedMessage = "resolved",
            };
            slow.Deliveries.Add(new AlertDeliveryEntity { Stage = AlertStage.Fired, Channel = AlertRuleDelivery.Email, Destination = "oncall@example.test", Outcome = AlertDeliveryOutcome.Failed, Detail = "Not sent: Connection refused", At = slow.FiredAt });
            db.AlertEvents.Add(slow);
            return await db.SaveChangesAsync();
        });
        Services.AddSingleton(new AlertHistory(Database.Factory));
        Services.GetRequiredService<NavigationManager>().NavigateTo(address);
        Render<MudPopoverProvider>();
        return Render<AlertHistoryPage>();
    }

    private static List<string> Texts(IRenderedComponent<AlertHistoryPage> page, string testId) =>
        [.. page.FindAll($"[data-testid='{testId}']").Select(e => e.TextContent.Trim())];

    [Fact]
    public async Task The_history_lists_the_newest_episodes_first_with_value_threshold_times_and_deliveries_twenty_to_a_page()
    {
        var page = await RenderAtAsync("/alerts/history");

        page.WaitForAssertion(() => Assert.Equal(20, Texts(page, "history-row").Count));
        Assert.Equal("25 episodes, page 1 of 2", page.Find("[data-testid='history-count']").TextContent.Trim());
        Assert.Equal(["Firing", "Resolved"], Texts(page, "history-row-state").Take(2));
        Assert.Equal("Spend per hour was $9.00 against a threshold of $5.00.", Texts(page, "history-row-value")[0]);
        Assert.Equal("Fired 2026-11-21 07:00 UTC, still firing.", Texts(page, "history-row-times")[0]);
        Assert.Equal("Fired 2026-11-21 06:00 UTC, resolved 2026-11-21 06:25 UTC after 25 min.", Texts(page, "history-row-times")[1]);
        Assert.Equal("Firing → Slack webhook: delivered", Texts(page, "history-delivery")[0]);

        page.FindAll("[data-testid='history-pages'] button").First(b => b.TextContent.Trim() == "2").Click();
        Assert.EndsWith("/alerts/history?page=2", Services.GetRequiredService<BunitNavigationManager>().Uri, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Filtering_by_a_deleted_rule_and_resolved_state_from_the_address_shows_its_episode_and_the_failed_email()
    {
        var page = await RenderAtAsync("/alerts/history?rule=2&state=resolved");

        page.WaitForAssertion(() => Assert.Equal(["Support is slow"], Texts(page, "history-row-rule")));
        Assert.Equal("p95 latency was 1,900 ms against a threshold of 1,500 ms; 800 ms when it resolved.", Texts(page, "history-row-value")[0]);
        Assert.Equal("Fired 2026-11-20 08:30 UTC, resolved 2026-11-20 09:35 UTC after 1 h 5 min.", Texts(page, "history-row-times")[0]);
        Assert.Equal(["Firing → e-mail to oncall@example.test: failed"], Texts(page, "history-delivery"));
        Assert.Empty(page.FindAll("[data-testid='history-pages']"));
    }

    [Fact]
    public async Task Only_firing_episodes_show_when_the_state_filter_says_so()
    {
        var page = await RenderAtAsync("/alerts/history?state=firing");

        page.WaitForAssertion(() => Assert.Equal(["Firing"], Texts(page, "history-row-state")));
        Assert.Equal("1 episode", page.Find("[data-testid='history-count']").TextContent.Trim());
    }
}
