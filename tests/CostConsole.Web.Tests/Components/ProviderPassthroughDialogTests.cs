using Bunit;
using CostConsole.Routing.Catalogue;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Components.Catalogue;
using MudBlazor;

namespace CostConsole.Web.Tests.Components;

public sealed class ProviderPassthroughDialogTests : ConsoleTestContext
{
    [Fact]
    public async Task Ticking_the_responses_api_makes_the_router_pass_responses_requests_through_to_the_provider()
    {
        var simulator = (await Database.Service.ProvidersAsync()).Single(p => p.Name == "simulator");
        Assert.False(Database.Routing.Current.Providers.Single(p => p.Name == "simulator").PassesThrough(NativeApis.Responses));
        var form = new ProviderForm { Id = simulator.Id, Name = simulator.Name, BaseUrl = simulator.BaseUrl, TimeoutSeconds = simulator.TimeoutSeconds, ConcurrencyStamp = simulator.ConcurrencyStamp };
        var dialog = await OpenDialogAsync(new DialogParameters<ProviderDialog> { { d => d.Form, form }, { d => d.Original, "simulator" } });

        dialog.Find("input[data-testid='provider-native-responses'], [data-testid='provider-native-responses'] input").Change(true);
        await dialog.Find("[data-testid=provider-save]").ClickAsync(new());

        dialog.WaitForAssertion(() => Assert.True(Database.Routing.Current.Providers.Single(p => p.Name == "simulator").PassesThrough(NativeApis.Responses)));
        var saved = Database.Routing.Current.Providers.Single(p => p.Name == "simulator");
        Assert.False(saved.PassesThrough(NativeApis.Messages));
        Assert.Equal(NativeApis.Responses, (await Database.Service.ProvidersAsync()).Single(p => p.Name == "simulator").Native);
    }

    [Fact]
    public async Task An_anthropic_provider_always_passes_messages_through_and_the_box_cannot_be_unticked()
    {
        var form = new ProviderForm { Name = "claude", BaseUrl = "https://api.anthropic.com", Protocol = ProviderProtocols.Anthropic };
        var dialog = await OpenDialogAsync(new DialogParameters<ProviderDialog> { { d => d.Form, form } });

        var messages = dialog.Find("input[data-testid='provider-native-messages'], [data-testid='provider-native-messages'] input");
        var responses = dialog.Find("input[data-testid='provider-native-responses'], [data-testid='provider-native-responses'] input");

        Assert.True(messages.HasAttribute("disabled"));
        Assert.True(messages.HasAttribute("checked") || messages.GetAttribute("aria-checked") == "true" || messages.OuterHtml.Contains("checked", StringComparison.Ordinal));
        Assert.False(responses.HasAttribute("disabled"));
        Assert.Contains("Messages requests routed here go as they came", dialog.Find("[data-testid=provider-native-help]").TextContent, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chat", ProviderProtocol.Anthropic, "does not speak chat completions")]
    [InlineData("completions", ProviderProtocol.Chat, "'completions' is not an API CostConsole can pass through")]
    public void A_configured_list_the_provider_cannot_honour_is_refused_with_the_reason(string name, ProviderProtocol kind, string reason)
    {
        var error = NativeApiNames.TryParse([name], kind, out _);

        Assert.NotNull(error);
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}
