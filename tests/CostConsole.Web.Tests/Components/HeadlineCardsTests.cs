using Bunit;
using CostConsole.Web.Components.Dashboard;
using CostConsole.Web.Metrics;
using MudBlazor.Services;

namespace CostConsole.Web.Tests.Components;

public sealed class HeadlineCardsTests : BunitContext
{
    public HeadlineCardsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    private static MetricsTotals Totals(long requests, long failed = 0, long rejected = 0, long fallbacks = 0, decimal spend = 0m, decimal baseline = 0m) =>
        new(requests, requests - failed - rejected, failed, rejected, fallbacks, fallbacks, 0, 0, 0, CostConsole.Data.Money.ToNanoUsd(spend), CostConsole.Data.Money.ToNanoUsd(baseline));

    private static HeadlineFigures Figures(MetricsTotals range, MetricsTotals previous) => new(
        Today: Totals(200, spend: 1.50m, baseline: 6m),
        Yesterday: Totals(100, spend: 1.00m, baseline: 4m),
        Month: Totals(5000, spend: 45.25m, baseline: 180m),
        PreviousMonth: Totals(4000, spend: 50m, baseline: 150m),
        Range: range,
        PreviousRange: previous,
        RangeName: "the last 24 hours");

    [Fact]
    public void Each_card_says_which_window_it_covers_and_live_ones_say_where_their_figures_come_from()
    {
        var figures = Figures(Totals(1000, fallbacks: 50, spend: 2m, baseline: 10m), Totals(800)) with { RangeName = "the last 15 minutes to 10:00:05 UTC" };

        var cut = Render<HeadlineCards>(p => p.Add(c => c.Figures, figures).Add(c => c.Live, true));

        Assert.Contains("since 00:00 UTC; every request counted once recorded, as in the live line", cut.Find("[data-testid='card-spend-today']").TextContent, StringComparison.Ordinal);
        Assert.Contains("since the 1st, 00:00 UTC", cut.Find("[data-testid='card-spend-month']").TextContent, StringComparison.Ordinal);
        Assert.Contains("in the last 15 minutes to 10:00:05 UTC", cut.Find("[data-testid='card-requests']").TextContent, StringComparison.Ordinal);
        Assert.Contains("50 requests fell back in the last 15 minutes to 10:00:05 UTC", cut.Find("[data-testid='card-fallback-rate']").TextContent, StringComparison.Ordinal);

        cut.Render(p => p.Add(c => c.Live, false));
        Assert.DoesNotContain("rollups", cut.Find("[data-testid='card-spend-today']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_card_shows_its_figure_and_the_change_against_the_period_before()
    {
        var cut = Render<HeadlineCards>(p => p.Add(c => c.Figures, Figures(
            Totals(1000, failed: 20, rejected: 10, fallbacks: 50, spend: 2m, baseline: 10m),
            Totals(800, failed: 8, fallbacks: 40, spend: 2m, baseline: 8m))));

        Assert.Equal("$1.5000", cut.Find("[data-testid='card-spend-today-value']").TextContent);
        Assert.Equal("+50.0 % vs yesterday by this hour", cut.Find("[data-testid='card-spend-today-change']").TextContent);
        Assert.Equal("$45.2500", cut.Find("[data-testid='card-spend-month-value']").TextContent);
        Assert.Equal("−9.5 % vs last month by this day", cut.Find("[data-testid='card-spend-month-change']").TextContent);
        Assert.Equal("80.0 %", cut.Find("[data-testid='card-savings-value']").TextContent);
        Assert.Equal("+5.0 pts vs the period before", cut.Find("[data-testid='card-savings-change']").TextContent);
        Assert.Equal("1,000", cut.Find("[data-testid='card-requests-value']").TextContent);
        Assert.Equal("+25.0 % vs the period before", cut.Find("[data-testid='card-requests-change']").TextContent);
        Assert.Equal("5.0 %", cut.Find("[data-testid='card-fallback-rate-value']").TextContent);
        Assert.Equal("3.0 %", cut.Find("[data-testid='card-error-rate-value']").TextContent);
        Assert.Equal("+2.0 pts vs the period before", cut.Find("[data-testid='card-error-rate-change']").TextContent);
    }

    [Fact]
    public void The_escalation_rate_counts_requests_sent_a_tier_up_and_says_what_quality_control_cost()
    {
        var range = Totals(1000, spend: 2m, baseline: 10m) with { Escalations = 70, EscalatedRequests = 60, EscalationCostNanoUsd = CostConsole.Data.Money.ToNanoUsd(0.25m) };
        var previous = Totals(1000, spend: 2m, baseline: 10m) with { EscalatedRequests = 40 };

        var cut = Render<HeadlineCards>(p => p.Add(c => c.Figures, Figures(range, previous)));

        Assert.Equal("6.0 %", cut.Find("[data-testid='card-escalation-rate-value']").TextContent);
        Assert.Equal("+2.0 pts vs the period before", cut.Find("[data-testid='card-escalation-rate-change']").TextContent);
        Assert.Contains("cc-bad", cut.Find("[data-testid='card-escalation-rate-change']").ClassList);
        Assert.Contains("60 requests escalated, $0.2500 on quality control", cut.Find("[data-testid='card-escalation-rate']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void The_cache_read_share_is_the_part_of_input_tokens_read_from_provider_caches()
    {
        var range = Totals(1000) with { PromptTokens = 80_000, CachedTokens = 20_000 };
        var previous = Totals(1000) with { PromptTokens = 50_000, CachedTokens = 5_000 };

        var cut = Render<HeadlineCards>(p => p.Add(c => c.Figures, Figures(range, previous)));

        Assert.Equal("25.0 %", cut.Find("[data-testid='card-cache-reads-value']").TextContent);
        Assert.Equal("+15.0 pts vs the period before", cut.Find("[data-testid='card-cache-reads-change']").TextContent);
        Assert.Contains("cc-good", cut.Find("[data-testid='card-cache-reads-change']").ClassList);
        Assert.Contains("20,000 of 80,000 input tokens read from provider caches", cut.Find("[data-testid='card-cache-reads']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Rising_savings_read_as_good_news_and_a_rising_error_rate_as_bad_news()
    {
        var cut = Render<HeadlineCards>(p => p.Add(c => c.Figures, Figures(
            Totals(1000, failed: 50, spend: 1m, baseline: 10m),
            Totals(1000, failed: 10, spend: 2m, baseline: 10m))));

        Assert.Contains("cc-good", cut.Find("[data-testid='card-savings-change']").ClassList);
        Assert.Contains("cc-bad", cut.Find("[data-testid='card-error-rate-change']").ClassList);
        Assert.DoesNotContain("cc-bad", cut.Find("[data-testid='card-fallback-rate-change']").ClassList);
    }

    [Fact]
    public void With_no_traffic_before_the_cards_say_there_is_nothing_to_compare()
    {
        var cut = Render<HeadlineCards>(p => p.Add(c => c.Figures, Figures(Totals(10, spend: 0.01m, baseline: 0.05m), MetricsTotals.Empty) with { Yesterday = MetricsTotals.Empty }));

        Assert.Equal("nothing yesterday by this hour to compare", cut.Find("[data-testid='card-spend-today-change']").TextContent);
        Assert.Equal("no traffic in the period before", cut.Find("[data-testid='card-requests-change']").TextContent);
        Assert.Equal("no traffic in the period before", cut.Find("[data-testid='card-error-rate-change']").TextContent);
    }

    [Fact]
    public void Before_the_figures_arrive_every_card_shows_it_is_loading()
    {
        var cut = Render<HeadlineCards>(p => p.Add(c => c.Figures, null));

        Assert.All(cut.FindAll("[data-testid$='-value']"), value => Assert.Equal("…", value.TextContent));
        Assert.Equal(8, cut.FindAll("[data-testid$='-value']").Count);
    }
}
