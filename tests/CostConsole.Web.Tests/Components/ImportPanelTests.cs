using Bunit;
using CostConsole.Web.Components.Catalogue;

namespace CostConsole.Web.Tests.Components;

public sealed class ImportPanelTests : ConsoleTestContext
{
    [Fact]
    public async Task The_preview_of_the_shipped_map_shows_what_is_new_and_what_already_matches()
    {
        Render<MudBlazor.MudPopoverProvider>();
        var panel = Render<ImportPanel>(p => p.Add(x => x.Providers, ["simulator"]));

        await panel.Find("[data-testid=import-shipped]").ClickAsync(new());
        panel.WaitForElement("[data-testid=import-preview]");
        Assert.Contains("The shipped copy: 2,982 models from 122 providers", panel.Markup, StringComparison.Ordinal);

        await panel.Find("[data-testid=import-preview]").ClickAsync(new());
        panel.WaitForElement("[data-testid=import-counts]");

        var counts = panel.Find("[data-testid=import-counts]").TextContent;
        // The simulated gpt-4.1 family is priced exactly like OpenAI's entries, so those three are unchanged.
        Assert.Contains("unchanged: 3", counts, StringComparison.Ordinal);
        Assert.Matches(@"new: [1-9]\d*", counts);
        Assert.Contains("chatgpt-4o-latest", panel.Find("[data-testid=import-lines]").TextContent, StringComparison.Ordinal);
        Assert.Equal(3, await Database.QueryAsync(db => Microsoft.EntityFrameworkCore.EntityFrameworkQueryableExtensions.CountAsync(db.Models)));
    }
}
