using Bunit;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Components.Catalogue;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class PriceDialogCacheWriteTests : ConsoleTestContext
{
    [Fact]
    public async Task A_cache_write_price_entered_in_the_dialog_is_saved_and_shown_in_the_history()
    {
        var nano = await Database.ModelAsync("gpt-4.1-nano");
        var dialog = await OpenDialogAsync(new DialogParameters<PriceDialog> { { d => d.ModelId, nano.Id }, { d => d.ModelName, "gpt-4.1-nano" } });
        dialog.WaitForElement("[data-testid=price-cache-write]");

        await dialog.Find("[data-testid=price-cache-write]").ChangeAsync(new() { Value = "0.125" });
        await dialog.Find("[data-testid=price-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.Equal(2, dialog.FindAll("[data-testid=price-history] tbody tr").Count));
        Assert.Contains("0.125", dialog.FindAll("[data-testid=price-history] tbody tr")[0].TextContent, StringComparison.Ordinal);
        var history = await Database.Service.PriceHistoryAsync(nano.Id);
        Assert.Equal(0.125m, history.Single(v => v.InForce).CacheWritePerMillion);
    }

    [Fact]
    public async Task A_negative_cache_write_price_is_refused_next_to_its_field_and_nothing_is_saved()
    {
        var nano = await Database.ModelAsync("gpt-4.1-nano");
        var dialog = await OpenDialogAsync(new DialogParameters<PriceDialog> { { d => d.ModelId, nano.Id }, { d => d.ModelName, "gpt-4.1-nano" } });
        dialog.WaitForElement("[data-testid=price-cache-write]");

        await dialog.Find("[data-testid=price-cache-write]").ChangeAsync(new() { Value = "-1" });
        await dialog.Find("[data-testid=price-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.Contains("The cache-write price cannot be negative.", dialog.Markup, StringComparison.Ordinal));
        Assert.Single(await Database.Service.PriceHistoryAsync(nano.Id));
    }
}
