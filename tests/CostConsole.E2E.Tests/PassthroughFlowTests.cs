using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class PassthroughFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task An_admin_marks_a_provider_as_speaking_the_responses_api_and_the_list_says_it_passes_responses_through()
    {
        var console = await browser.OpenAsync("/catalogue");
        var page = console.Page;

        await page.GetByRole(AriaRole.Tab, new() { Name = "Providers" }).ClickAsync();
        await console.OpenFormAsync("add-provider", "provider-name");
        await console.TestId("provider-name").FillAsync("native-sim");
        await console.TestId("provider-url").FillAsync("/sim/v1");
        await console.Input("provider-native-responses").CheckAsync();
        await Expect(console.Input("provider-native-responses")).ToBeCheckedAsync();
        await Expect(console.Input("provider-native-messages")).Not.ToBeCheckedAsync();
        await console.ScreenshotAsync("catalogue-provider-passthrough-1440", fullPage: false);
        await page.SetViewportSizeAsync(390, 844);
        await console.ScreenshotAsync("catalogue-provider-passthrough-390", fullPage: false);
        await ConsoleBrowser.DesktopAsync(page);
        await console.TestId("provider-save").ClickAsync();

        await Expect(console.TestId("provider-native-native-sim")).ToContainTextAsync("passes through Responses");
        await Expect(console.TestId("provider-protocol-native-sim")).ToContainTextAsync("Chat completions");
        await console.ScreenshotAsync("catalogue-providers-passthrough");
    }
}
