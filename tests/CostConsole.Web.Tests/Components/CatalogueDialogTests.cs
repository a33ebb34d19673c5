using Bunit;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Components.Catalogue;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class CatalogueDialogTests : ConsoleTestContext
{
    [Fact]
    public async Task The_provider_form_shows_what_is_wrong_next_to_each_field()
    {
        var dialog = await OpenDialogAsync(new DialogParameters<ProviderDialog> { { d => d.Form, new ProviderForm { Name = "has space", BaseUrl = "ftp://example" } } });

        await dialog.Find("[data-testid=provider-save]").ClickAsync(new());

        dialog.WaitForAssertion(() =>
        {
            Assert.Contains("Use letters, digits", dialog.Markup, StringComparison.Ordinal);
            Assert.Contains("Enter an absolute http(s) URL", dialog.Markup, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task A_stored_key_is_never_sent_back_to_the_browser()
    {
        var form = new ProviderForm { Id = 1, Name = "openai", BaseUrl = "https://api.openai.com/v1" };
        var dialog = await OpenDialogAsync(new DialogParameters<ProviderDialog> { { d => d.Form, form }, { d => d.HasStoredKey, true }, { d => d.Original, "openai" } });

        var key = dialog.Find("[data-testid=provider-key]");

        Assert.Equal("password", key.GetAttribute("type"));
        Assert.True(string.IsNullOrEmpty(key.GetAttribute("value")));
        Assert.Contains("A key is set. It is never shown again", dialog.Markup, StringComparison.Ordinal);
        Assert.Contains("Remove the stored key", dialog.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_negative_initial_price_is_flagged_on_its_field()
    {
        var form = new ModelForm { Provider = "simulator", Tier = "small", ModelId = "m", DisplayName = "m", InitialPrice = new PriceForm { InputPerMillion = -1m, OutputPerMillion = 1m } };
        var dialog = await OpenDialogAsync(new DialogParameters<ModelDialog> { { d => d.Form, form }, { d => d.Providers, ["simulator"] }, { d => d.Tiers, ["small"] } });

        await dialog.Find("[data-testid=model-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.Contains("A price cannot be negative.", dialog.Markup, StringComparison.Ordinal));
        Assert.Null(Database.Routing.Current.FindModel("m"));
    }

    [Fact]
    public async Task The_price_dialog_lists_every_version_and_marks_the_one_in_force()
    {
        var nano = await Database.ModelAsync("gpt-4.1-nano");
        await Database.Service.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = 0.2m, OutputPerMillion = 0.8m, Note = "price rise" }, "alice");

        var dialog = await OpenDialogAsync(new DialogParameters<PriceDialog> { { d => d.ModelId, nano.Id }, { d => d.ModelName, "gpt-4.1-nano" } });

        dialog.WaitForAssertion(() =>
        {
            var rows = dialog.FindAll("[data-testid=price-history] tbody tr");
            Assert.Equal(2, rows.Count);
            Assert.Contains("in force", rows[0].TextContent, StringComparison.Ordinal);
            Assert.Contains("price rise", rows[0].TextContent, StringComparison.Ordinal);
            Assert.Contains("the beginning", rows[1].TextContent, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task Adding_a_price_version_from_the_dialog_shows_it_in_the_history()
    {
        var nano = await Database.ModelAsync("gpt-4.1-nano");
        var dialog = await OpenDialogAsync(new DialogParameters<PriceDialog> { { d => d.ModelId, nano.Id }, { d => d.ModelName, "gpt-4.1-nano" } });
        dialog.WaitForElement("[data-testid=price-input]");

        await dialog.Find("[data-testid=price-input]").ChangeAsync(new() { Value = "0.05" });
        await dialog.Find("[data-testid=price-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.Equal(2, dialog.FindAll("[data-testid=price-history] tbody tr").Count));
        Assert.Equal(0.05m, (await Database.ModelAsync("gpt-4.1-nano")).InputPerMillion);
    }

    [Fact]
    public async Task Ticking_may_receive_personal_data_approves_the_provider_and_the_list_says_so()
    {
        var simulator = (await Database.Service.ProvidersAsync()).Single(p => p.Name == "simulator");
        Assert.False(simulator.MayReceivePersonalData);
        var form = new ProviderForm { Id = simulator.Id, Name = simulator.Name, BaseUrl = simulator.BaseUrl, TimeoutSeconds = simulator.TimeoutSeconds, ConcurrencyStamp = simulator.ConcurrencyStamp };
        var dialog = await OpenDialogAsync(new DialogParameters<ProviderDialog> { { d => d.Form, form }, { d => d.Original, "simulator" } });

        dialog.Find("input[data-testid='provider-personal-data'], [data-testid='provider-personal-data'] input").Change(true);
        await dialog.Find("[data-testid=provider-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.True(Database.Routing.Current.Providers.Single(p => p.Name == "simulator").MayReceivePersonalData));
        Assert.True((await Database.Service.ProvidersAsync()).Single(p => p.Name == "simulator").MayReceivePersonalData);
    }
}
