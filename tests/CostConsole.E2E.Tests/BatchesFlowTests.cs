using System.Text.RegularExpressions;
using System.Text;
using System.Text.Json;
using CostConsole.E2E.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace CostConsole.E2E.Tests;

public sealed class BatchesFlowTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>
{
    private static byte[] BatchFile(int lines) => Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(1, lines).Select(i => JsonSerializer.Serialize(new
    {
        custom_id = $"ticket-{i}",
        method = "POST",
        url = "/v1/chat/completions",
        body = new { model = "auto", messages = new[] { new { role = "user", content = $"Summarise support ticket {i}: the parcel arrived damaged." } } },
    }))) + "\n");

    private static ILocator Upload(IPage page) => page.Locator("[data-testid='batch-upload'] input[type=file], input[type=file][data-testid='batch-upload']").First;

    [Fact]
    public async Task An_admin_uploads_a_batch_file_follows_it_to_completed_and_downloads_its_output()
    {
        var console = await browser.OpenAsync("/batches");
        var page = console.Page;
        await Expect(console.TestId("batches-empty")).ToBeVisibleAsync();
        await console.ScreenshotAsync("batches-empty");

        // A file with a bad line is refused with the line and nothing appears in the list.
        await Upload(page).SetInputFilesAsync(new FilePayload
        {
            Name = "broken.jsonl",
            MimeType = "application/jsonl",
            Buffer = [.. BatchFile(1), .. "{\"custom_id\": \"ticket-1\"}\n"u8.ToArray()],
        });
        // Checked on the server as it arrives; a busy machine can take longer than Playwright's default wait.
        await Expect(console.TestId("batch-error")).ToContainTextAsync("line 2", new() { Timeout = 30_000 });
        await Expect(console.TestId("batches-empty")).ToBeVisibleAsync();

        await Upload(page).SetInputFilesAsync(new FilePayload { Name = "tickets.jsonl", MimeType = "application/jsonl", Buffer = BatchFile(3) });

        var table = console.TestId("batches-table");
        await Expect(table).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Expect(table.Locator("[data-testid^='batch-status-']")).ToHaveTextAsync("completed", new() { Timeout = 60_000 });
        await Expect(table.Locator("[data-testid^='batch-progress-']")).ToHaveTextAsync("3 / 3");
        await Expect(table.Locator("[data-testid^='batch-cost-']")).ToContainTextAsync("$");
        // The simulated models carry OpenAI's batch discount: half the interactive price.
        await Expect(table.Locator("[data-testid^='batch-saved-']")).ToHaveTextAsync("50 % saved");
        await Expect(console.TestId("batches-spend")).ToContainTextAsync("3 batch lines cost");
        await console.ScreenshotAsync("batches");

        var download = await page.RunAndWaitForDownloadAsync(() => table.Locator("[data-testid^='batch-output-']").ClickAsync());
        var path = await download.PathAsync();
        var lines = (await File.ReadAllLinesAsync(path!, TestContext.Current.CancellationToken)).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["ticket-1", "ticket-2", "ticket-3"], lines.Select(l => l.GetProperty("custom_id").GetString()));
        Assert.All(lines, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));

        // A long batch can be cancelled from its row: it stops with what finished so far.
        await Upload(page).SetInputFilesAsync(new FilePayload { Name = "backlog.jsonl", MimeType = "application/jsonl", Buffer = BatchFile(2000) });
        var cancel = table.Locator("[data-testid^='batch-cancel-']");
        await Expect(cancel).ToHaveCountAsync(1, new() { Timeout = 30_000 });
        var status = table.Locator("[data-testid^='batch-status-']").First;
        // A click that lands while the row re-renders (it refreshes every second) can be lost, as for a person, who
        // would click again: at most three clicks, each given ten seconds to show the batch cancelling.
        var cancelling = new Regex("^(cancelling|cancelled)$");
        for (var click = 1; click <= 3; click++)
        {
            await cancel.ClickAsync();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!cancelling.IsMatch(await status.InnerTextAsync()) && DateTime.UtcNow < deadline)
            {
                await page.WaitForTimeoutAsync(200);
            }

            if (cancelling.IsMatch(await status.InnerTextAsync()) || await cancel.CountAsync() == 0)
            {
                break;
            }
        }

        await Expect(status).ToHaveTextAsync("cancelled", new() { Timeout = 60_000 });
        await Expect(cancel).ToHaveCountAsync(0);

        await page.SetViewportSizeAsync(390, 844);
        await Expect(table.Locator("[data-testid^='batch-status-']").First).ToBeVisibleAsync();
        await console.ScreenshotAsync("batches-phone");
        Assert.Empty(console.Errors);
    }
}
