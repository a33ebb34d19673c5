using System.Text.RegularExpressions;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class CatalogueFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    [Fact]
    public async Task An_admin_adds_a_provider_and_a_model_changes_its_price_and_sees_both_versions()
    {
        var console = await browser.OpenAsync("/catalogue");
        var page = console.Page;

        // A provider, with a connection test through the OpenAI client.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Providers" }).ClickAsync();
        await console.OpenFormAsync("add-provider", "provider-name");
        await console.TestId("provider-name").FillAsync("backup-sim");
        await console.TestId("provider-url").FillAsync("not a url");
        await console.TestId("provider-save").ClickAsync();
        await Expect(page.GetByText("Enter an absolute http(s) URL")).ToBeVisibleAsync();
        await console.TestId("provider-url").FillAsync("/sim/v1");
        await console.TestId("provider-key").FillAsync("sk-e2e-secret");
        await console.TestId("provider-test").ClickAsync();
        await Expect(console.TestId("probe-result")).ToContainTextAsync("gpt-4.1-nano");
        await console.ScreenshotAsync("catalogue-provider-dialog");
        await console.TestId("provider-save").ClickAsync();
        await Expect(console.TestId("providers-table")).ToContainTextAsync("backup-sim");
        await Expect(console.TestId("providers-table")).Not.ToContainTextAsync("sk-e2e-secret");
        // A new provider speaks chat completions unless the dialog says otherwise.
        await Expect(console.TestId("provider-protocol-backup-sim")).ToHaveTextAsync("Chat completions");
        await console.ScreenshotAsync("catalogue-providers");

        // A model served by it, with its first price.
        await page.GetByRole(AriaRole.Tab, new() { Name = "Models" }).ClickAsync();
        await console.TestId("add-model").ClickAsync();
        await console.TestId("model-id").FillAsync("gpt-4o-mini");
        await console.TestId("model-name").FillAsync("GPT-4o mini");
        await console.TestId("model-input-price").FillAsync("0.15");
        await console.TestId("model-output-price").FillAsync("0.60");
        await console.TestId("model-save").ClickAsync();
        await Expect(page.GetByText("Model added.")).ToBeVisibleAsync();
        await console.TestId("models-search").FillAsync("4o-mini");
        await Expect(console.TestId("models-grid")).ToContainTextAsync("0.15");

        // A price change is a new version; the history keeps both.
        await console.TestId("prices-gpt-4o-mini").ClickAsync();
        await console.TestId("price-input").FillAsync("0.12");
        await console.TestId("price-save").ClickAsync();
        var history = console.TestId("price-history").Locator("tbody tr");
        await Expect(history).ToHaveCountAsync(2);
        await Expect(history.First).ToContainTextAsync("in force");
        await Expect(history.First).ToContainTextAsync("0.12");
        await Expect(history.Nth(1)).ToContainTextAsync("0.15");
        await console.ScreenshotAsync("catalogue-price-history");

        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task A_model_added_as_embeddings_is_marked_so_and_one_a_tier_uses_cannot_become_one()
    {
        var console = await browser.OpenAsync("/catalogue");
        var page = console.Page;
        await page.GetByRole(AriaRole.Tab, new() { NameRegex = new Regex("^Models") }).ClickAsync();

        await console.TestId("add-model").ClickAsync();
        await console.TestId("model-id").FillAsync("text-embedding-e2e");
        await console.TestId("model-input-price").FillAsync("0.02");
        await console.TestId("model-output-price").FillAsync("0");
        await page.Locator(".mud-dialog .mud-select:has([data-testid='model-kind'])").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Embeddings" }).ClickAsync();
        await Expect(page.Locator(".mud-dialog")).ToContainTextAsync("Serves /v1/embeddings");
        await console.ScreenshotAsync("catalogue-model-kind-dialog-1440", fullPage: false);
        await console.TestId("model-name").FillAsync("Embeddings (e2e)");
        await console.TestId("model-save").ClickAsync();
        await Expect(page.GetByText("Model added.")).ToBeVisibleAsync();
        await console.TestId("models-search").FillAsync("text-embedding-e2e");
        await Expect(console.TestId("kind-text-embedding-e2e")).ToHaveTextAsync("embeddings");
        await console.ScreenshotAsync("catalogue-model-kind-list-1440", fullPage: false);

        // The simulator's small model answers a tier: it stays a chat model, and the dialog says why.
        await console.TestId("models-search").FillAsync("gpt-4.1-nano");
        await page.GetByRole(AriaRole.Button, new() { Name = "Edit gpt-4.1-nano" }).ClickAsync();
        await page.Locator(".mud-dialog .mud-select:has([data-testid='model-kind'])").First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item", new() { HasText = "Embeddings" }).ClickAsync();
        await console.TestId("model-save").ClickAsync();
        await Expect(console.TestId("save-error")).ToContainTextAsync("is used by the routing as a chat model, so it cannot become an embeddings model");
        await page.SetViewportSizeAsync(390, 844);
        await page.WaitForFunctionAsync("() => document.querySelector('.mud-main-content').getBoundingClientRect().left < 1", null, new() { Timeout = 10_000 });
        await console.TestId("save-error").ScrollIntoViewIfNeededAsync();
        await console.ScreenshotAsync("catalogue-model-kind-refused-390", fullPage: false);
        await page.SetViewportSizeAsync(1440, 900);

        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task An_import_writes_only_the_rows_picked_into_the_provider_chosen()
    {
        var console = await browser.OpenAsync("/catalogue");
        var page = console.Page;
        await page.GetByRole(AriaRole.Tab, new() { Name = "Import" }).ClickAsync();
        await console.TestId("import-shipped").ClickAsync();

        // No target is assumed: previewing first asks for one, chosen from the select's list.
        await console.TestId("import-preview").ClickAsync();
        await Expect(console.TestId("import-error")).ToContainTextAsync("Choose the provider");
        await page.Locator(".mud-select").Filter(new() { HasText = "Import into" }).First.ClickAsync();
        await page.Locator(".mud-popover-open .mud-list-item").Filter(new() { HasTextRegex = new Regex("^simulator$") }).First.ClickAsync();
        await Expect(page.Locator(".mud-popover-open .mud-list-item")).ToHaveCountAsync(0);
        await console.TestId("import-preview").ClickAsync();
        await Expect(console.TestId("import-error")).ToHaveCountAsync(0);
        await Expect(console.TestId("import-counts")).ToContainTextAsync("unchanged: 3");
        await Expect(console.TestId("import-lines")).ToContainTextAsync("adds model and price");

        // Pick none, tick two rows and untick the first again: only the second is written.
        await console.TestId("import-pick-none").ClickAsync();
        await Expect(console.TestId("import-picked")).ToContainTextAsync("0 of ");
        var boxes = console.TestId("import-lines").Locator("input[type=checkbox]:not([disabled])");
        var first = (await boxes.Nth(0).GetAttributeAsync("aria-label"))!["Import ".Length..];
        var second = (await boxes.Nth(1).GetAttributeAsync("aria-label"))!["Import ".Length..];
        await boxes.Nth(0).ClickAsync();
        await boxes.Nth(1).ClickAsync();
        await Expect(console.TestId("import-picked")).ToContainTextAsync("2 of ");
        await boxes.Nth(0).ClickAsync();
        await Expect(console.TestId("import-picked")).ToContainTextAsync("1 of ");
        await Expect(boxes.Nth(0)).Not.ToBeCheckedAsync();
        await Expect(boxes.Nth(1)).ToBeCheckedAsync();
        await console.ScreenshotAsync("catalogue-import-pick-1440", fullPage: false);
        await page.SetViewportSizeAsync(390, 844);
        // The drawer folds away a moment after the resize; then the page starts at the phone's left edge.
        await page.WaitForFunctionAsync("() => document.querySelector('.mud-main-content').getBoundingClientRect().left < 1", null, new() { Timeout = 10_000 });
        await console.TestId("import-picked").ScrollIntoViewIfNeededAsync();
        await console.ScreenshotAsync("catalogue-import-pick-390", fullPage: false);
        await page.SetViewportSizeAsync(1440, 900);

        await console.TestId("import-apply").ClickAsync();
        await Expect(page.Locator(".mud-dialog")).ToContainTextAsync("are left as they are");
        await page.Locator(".mud-dialog button", new() { HasText = "Apply" }).Last.ClickAsync();
        await Expect(page.GetByText("Imported: 1 added, 0 repriced, 0 unpriced.")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Tab, new() { NameRegex = new Regex("^Models") }).ClickAsync();
        // Each model's id is shown in bold in its row: the picked one is there, the unticked one is not.
        var grid = console.TestId("models-grid");
        await console.TestId("models-search").FillAsync(second);
        await Expect(grid.Locator("b").GetByText(second, new() { Exact = true })).ToHaveCountAsync(1);
        await console.TestId("models-search").FillAsync(first);
        await Expect(grid.Locator("b").GetByText(first, new() { Exact = true })).ToHaveCountAsync(0);
        Assert.Empty(console.Errors);
    }

    [Fact]
    public async Task A_malformed_price_map_is_refused_with_a_reason_and_imports_nothing()
    {
        var console = await browser.OpenAsync("/catalogue");
        var page = console.Page;
        var models = await page.GetByRole(AriaRole.Tab, new() { NameRegex = new Regex("^Models") }).TextContentAsync();
        var file = Path.Combine(Path.GetTempPath(), $"not-a-map-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, "[1, 2, 3]");

        await page.GetByRole(AriaRole.Tab, new() { Name = "Import" }).ClickAsync();
        await page.Locator("input[type=file]").SetInputFilesAsync(file);

        await Expect(console.TestId("import-error")).ToContainTextAsync("is not a LiteLLM price map, so nothing was imported");
        await Expect(page.GetByRole(AriaRole.Tab, new() { NameRegex = new Regex("^Models") })).ToHaveTextAsync(models!);
        Assert.Empty(console.Errors);
    }
}
