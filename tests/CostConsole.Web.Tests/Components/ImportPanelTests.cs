using Bunit;
using CostConsole.Web.Components.Catalogue;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class ImportPanelTests : ConsoleTestContext
{
    public ImportPanelTests() => Services.AddSingleton(TimeProvider.System);

    private async Task<IRenderedComponent<ImportPanel>> PreviewShippedAsync()
    {
        var panel = Render<ImportPanel>(p => p.Add(x => x.Providers, ["simulator"]));
        await panel.Find("[data-testid=import-shipped]").ClickAsync(new());
        panel.WaitForElement("[data-testid=import-preview]");
        await panel.InvokeAsync(() => panel.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Import into (our provider)").Instance.SelectOption("simulator"));
        await panel.Find("[data-testid=import-preview]").ClickAsync(new());
        panel.WaitForElement("[data-testid=import-counts]");
        return panel;
    }

    private static AngleSharp.Dom.IElement Box(IRenderedComponent<ImportPanel> panel, string key)
    {
        var box = panel.Find($"[data-testid='import-row-{key}']");
        return box.QuerySelector("input") ?? box;
    }

    private Task<List<(string Model, decimal Input, string? Note)>> PricesAsync() =>
        Database.QueryAsync(db => db.ModelPrices.AsNoTracking().Include(p => p.Model)
            .Select(p => new ValueTuple<string, decimal, string?>(p.Model!.ModelId, p.InputPerMillion, p.Note)).ToListAsync());

    [Fact]
    public async Task The_preview_of_the_shipped_map_shows_what_is_new_and_what_already_matches()
    {
        Render<MudPopoverProvider>();
        var panel = Render<ImportPanel>(p => p.Add(x => x.Providers, ["simulator"]));

        await panel.Find("[data-testid=import-shipped]").ClickAsync(new());
        panel.WaitForElement("[data-testid=import-preview]");
        Assert.Contains("The shipped copy: 2,982 models from 122 providers", panel.Markup, StringComparison.Ordinal);

        // No provider is chosen for the user: previewing before choosing one says so and shows nothing.
        await panel.Find("[data-testid=import-preview]").ClickAsync(new());
        Assert.Contains("Choose the provider the imported models are called through", panel.Find("[data-testid=import-error]").TextContent, StringComparison.Ordinal);
        Assert.Empty(panel.FindAll("[data-testid=import-counts]"));

        await panel.InvokeAsync(() => panel.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == "Import into (our provider)").Instance.SelectOption("simulator"));
        await panel.Find("[data-testid=import-preview]").ClickAsync(new());
        panel.WaitForElement("[data-testid=import-counts]");

        var counts = panel.Find("[data-testid=import-counts]").TextContent;
        // The simulated gpt-4.1 family is priced exactly like OpenAI's entries, so those three are unchanged.
        Assert.Contains("unchanged: 3", counts, StringComparison.Ordinal);
        Assert.Matches(@"new: [1-9]\d*", counts);
        Assert.Contains("chatgpt-4o-latest", panel.Find("[data-testid=import-lines]").TextContent, StringComparison.Ordinal);
        Assert.Equal(3, await Database.QueryAsync(db => db.Models.CountAsync()));
    }

    [Fact]
    public async Task Only_the_picked_rows_are_written_and_a_price_entered_by_hand_is_flagged_and_not_picked()
    {
        // Someone priced nano by hand, differently from the map.
        await Database.QueryAsync(async db =>
        {
            var price = await db.ModelPrices.Include(p => p.Model).SingleAsync(p => p.Model!.ModelId == "gpt-4.1-nano");
            price.InputPerMillion = 0.2m;
            price.Note = "negotiated rate";
            return await db.SaveChangesAsync();
        });
        var dialogs = Render<MudDialogProvider>();
        Render<MudPopoverProvider>();
        var panel = await PreviewShippedAsync();

        // The overwrite is flagged, explained and left unticked; a new model's tier comes with its reason.
        Assert.NotNull(panel.Find("[data-testid='import-manual-gpt-4.1-nano']"));
        Assert.NotNull(panel.Find("[data-testid=import-manual-warning]"));
        Assert.False(Box(panel, "gpt-4.1-nano").HasAttribute("checked"));
        var reason = panel.FindAll("[data-testid^='import-tier-why-']")[0].TextContent;
        Assert.Matches(@"Input \$[\d.]+ per 1M tokens is .*tier, '\w+'", reason);

        // Nothing picked: a clear message, and nothing is written.
        var before = await PricesAsync();
        await panel.Find("[data-testid=import-pick-none]").ClickAsync(new());
        await panel.Find("[data-testid=import-apply]").ClickAsync(new());
        Assert.Contains("No row is picked", panel.Find("[data-testid=import-error]").TextContent, StringComparison.Ordinal);
        Assert.Equal(before, await PricesAsync());

        // Tick one new model and apply: only that model is added; the hand-entered price stays.
        var row = panel.FindAll("[data-testid^='import-row-']").Select(e => e.GetAttribute("data-testid")!["import-row-".Length..])
            .First(key => !key.StartsWith("gpt-4.1", StringComparison.Ordinal));
        await Box(panel, row).ChangeAsync(new() { Value = true });
        panel.WaitForAssertion(() => Assert.StartsWith("1 of ", panel.Find("[data-testid=import-picked]").TextContent.Trim(), StringComparison.Ordinal));
        var applying = panel.Find("[data-testid=import-apply]").ClickAsync(new());
        dialogs.WaitForAssertion(() => Assert.Contains("are left as they are", dialogs.Markup, StringComparison.Ordinal));
        await dialogs.FindAll("button").Single(b => b.TextContent.Trim() == "Apply").ClickAsync(new());
        await applying;

        panel.WaitForAssertion(() => Assert.Empty(panel.FindAll("[data-testid=import-counts]")));
        var after = await PricesAsync();
        Assert.Equal([.. before, (row, after.Single(p => p.Model == row).Input, "imported from LiteLLM price map")], after.OrderBy(p => p.Model == row));
        Assert.Contains(after, p => p == ("gpt-4.1-nano", 0.2m, "negotiated rate"));
        Assert.Equal(4, await Database.QueryAsync(db => db.Models.CountAsync()));
    }
}
