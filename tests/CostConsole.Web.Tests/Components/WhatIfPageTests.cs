using Bunit;
using CostConsole.Web.Metrics;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using WhatIfPage = CostConsole.Web.Components.Pages.WhatIf;

namespace CostConsole.Web.Tests.Components;

public sealed class WhatIfPageTests : ConsoleTestContext
{
    private IRenderedComponent<WhatIfPage> RenderPage()
    {
        Services.AddSingleton(Database.Routing);
        Services.AddSingleton(TimeProvider.System);
        Services.AddSingleton(new WhatIfCalculator(Database.Routing, Database.Factory, TimeProvider.System));
        Render<MudPopoverProvider>();
        return Render<WhatIfPage>();
    }

    [Fact]
    public void The_default_mix_is_priced_on_opening_with_the_mapping_first_and_every_single_model_after_it()
    {
        var cut = RenderPage();

        var options = cut.FindAll("[data-testid='whatif-option']").Select(o => o.TextContent).ToList();
        Assert.StartsWith(WhatIfOption.Mapping, options[0], StringComparison.Ordinal);
        Assert.Equal(Database.Routing.Current.Models.Select(m => m.Key).Distinct().Count(), options.Count(o => o.Contains(WhatIfOption.SingleModel, StringComparison.Ordinal)));
        Assert.Contains("a month for 3,000 interactions", cut.Find("[data-testid='whatif-summary']").TextContent, StringComparison.Ordinal);
        Assert.Contains("to the small tier", cut.Find("[data-testid='whatif-class-simple']").TextContent, StringComparison.Ordinal);
        Assert.Contains("to the large tier", cut.Find("[data-testid='whatif-class-complex']").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Shares_that_do_not_add_up_are_refused_and_the_last_result_stays()
    {
        var cut = RenderPage();
        var before = cut.Find("[data-testid='whatif-summary']").TextContent;

        cut.FindAll("input[data-testid='whatif-share']")[0].Change("60");
        cut.Find("[data-testid='whatif-calculate']").Click();

        Assert.Contains("The shares add up to 130 %; make them add up to 100 %.", cut.Find("[data-testid='whatif-error']").TextContent, StringComparison.Ordinal);
        Assert.Equal(before, cut.Find("[data-testid='whatif-summary']").TextContent);
    }

    [Fact]
    public void An_empty_ledger_leaves_the_mix_as_it_was_and_says_why()
    {
        var cut = RenderPage();

        cut.Find("[data-testid='whatif-ledger-7d']").Click();

        cut.WaitForAssertion(() => Assert.Contains("No answered request in the 7d before now: the mix is unchanged", cut.Find("[data-testid='whatif-ledger-note']").TextContent, StringComparison.Ordinal));
        Assert.Equal("3000", cut.Find("input[data-testid='whatif-volume']").GetAttribute("value")!.Replace(",", "", StringComparison.Ordinal));
    }
}
