using Bunit;
using CostConsole.Web.Caching;
using CostConsole.Web.Components.Dashboard;
using MudBlazor.Services;

namespace CostConsole.Web.Tests.Components;

public sealed class CacheCardsTests : BunitContext
{
    public CacheCardsTests()
    {
        JSInterop.Mode = JSRuntimeMode.Loose;
        Services.AddMudServices();
    }

    [Fact]
    public void The_cards_show_what_the_cache_saved_and_its_hit_rate_against_the_period_before()
    {
        var figures = new CacheDashboardFigures(new CacheRangeFigures(30, 10, 60, 5, 1.25m), new CacheRangeFigures(10, 10, 80, 0, 0.50m), "the last 24 hours", Enabled: true);

        var cut = Render<CacheCards>(p => p.Add(c => c.Figures, figures));

        Assert.Equal("$1.2500", cut.Find("[data-testid='card-cache-saved-value']").TextContent);
        Assert.Equal("+150.0 % vs the period before", cut.Find("[data-testid='card-cache-saved-change']").TextContent);
        Assert.Equal("40 answers from cache (30 exact, 10 semantic) in the last 24 hours", cut.Find("[data-testid='card-cache-saved-note']").TextContent);
        Assert.Equal("40.0 %", cut.Find("[data-testid='card-cache-hit-rate-value']").TextContent);
        Assert.Equal("+20.0 pts vs the period before", cut.Find("[data-testid='card-cache-hit-rate-change']").TextContent);
        Assert.Equal("40 of 100 lookups in the last 24 hours; 5 left out by policy", cut.Find("[data-testid='card-cache-hit-rate-note']").TextContent);
    }

    [Fact]
    public void The_cards_stay_hidden_while_the_cache_is_off_and_never_answered_but_say_it_is_off_when_it_has_history()
    {
        var none = new CacheDashboardFigures(CacheRangeFigures.None, CacheRangeFigures.None, "the last 24 hours", Enabled: false);
        var cut = Render<CacheCards>(p => p.Add(c => c.Figures, none));
        Assert.Empty(cut.FindAll("[data-testid='cache-cards']"));

        cut.Render(p => p.Add(c => c.Figures, none with { PreviousRange = new CacheRangeFigures(1, 0, 1, 0, 0.01m) }));

        Assert.Equal("—", cut.Find("[data-testid='card-cache-hit-rate-value']").TextContent);
        Assert.Equal("no lookups in the last 24 hours; the cache is off now", cut.Find("[data-testid='card-cache-hit-rate-note']").TextContent);
    }
}
