using System.Net;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Batches;
using CostConsole.Web.Budgets;
using CostConsole.Web.Catalogue;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

public sealed class BatchBudgetAndPricingTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    [Fact]
    public async Task Batch_lines_are_priced_at_the_batch_discount_and_the_batch_shows_the_interactive_price_beside_it()
    {
        var ct = TestContext.Current.CancellationToken;
        var catalogue = factory.Services.GetRequiredService<CatalogueService>();
        var nano = (await catalogue.ModelsAsync(ct)).Single(m => m.ModelId == "gpt-4.1-nano");
        var priced = await catalogue.AddPriceAsync(new PriceForm { ModelId = nano.Id, InputPerMillion = 2.00m, OutputPerMillion = 8.00m, BatchDiscount = 0.5m, Note = "batch at half price" }, "test", ct);
        Assert.True(priced.Saved);
        using var client = factory.CreateApiClient();

        var id = await StartAsync(client, File(3, model: "gpt-4.1-nano"));
        var batch = await WaitAsync(client, id, Finished);

        Assert.Equal("completed", batch.GetProperty("status").GetString());
        var rows = (await factory.LedgerAsync()).Where(r => r.BatchId == id).ToList();
        Assert.Equal(3, rows.Count);
        foreach (var row in rows)
        {
            Assert.True(row.PromptTokens > 0 && row.CompletionTokens > 0);
            // Half of $2 in and $8 out per million tokens.
            Assert.Equal(Money.ToNanoUsd((row.PromptTokens * 1.00m + row.CompletionTokens * 4.00m) / 1_000_000m), row.CostNanoUsd);
        }

        var view = await factory.Services.GetRequiredService<BatchService>().GetAsync(id, null, ct);
        var interactive = rows.Sum(r => (r.PromptTokens * 2.00m + r.CompletionTokens * 8.00m) / 1_000_000m);
        Assert.Equal(Money.FromNanoUsd(rows.Sum(r => r.CostNanoUsd)), view!.Cost);
        Assert.Equal(Money.FromNanoUsd(rows.Sum(r => Money.ToNanoUsd((r.PromptTokens * 2.00m + r.CompletionTokens * 8.00m) / 1_000_000m))), view.InteractiveCost);
        Assert.Equal(decimal.Round(interactive / 2, 6), decimal.Round(view.Cost, 6));
    }

    [Fact]
    public async Task A_batch_whose_worst_case_a_budget_cannot_hold_is_refused_with_the_reason_and_one_that_fits_settles_line_by_line()
    {
        var ct = TestContext.Current.CancellationToken;
        var budgets = factory.Services.GetRequiredService<BudgetService>();
        var form = new BudgetForm { Name = "Batch test", Scope = BudgetScope.Key, ScopeValue = await KeyIdAsync(), Period = BudgetPeriod.Monthly, LimitUsd = 0.001m, Thresholds = "100" };
        Assert.True((await budgets.SaveAsync(form, "test", ct)).Saved);
        using var client = factory.CreateApiClient();
        using var uploaded = await UploadAsync(client, File(4));
        var fileId = (await JsonAsync(uploaded)).GetProperty("id").GetString();
        var before = await StoredBatchesAsync(factory);

        using var refused = await client.PostAsync("/v1/batches", JsonContent(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var error = (await JsonAsync(refused)).GetProperty("error");
        Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("'Batch test'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Nothing was started", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await StoredBatchesAsync(factory));
        var state = budgets.States().Single(s => s.Budget.Name == "Batch test");
        Assert.Equal(0, state.ReservedNanoUsd);

        form.Id = state.Budget.Id;
        form.LimitUsd = 100m;
        Assert.True((await budgets.SaveAsync(form, "test", ct)).Saved);
        using var created = await client.PostAsync("/v1/batches", JsonContent(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), ct);
        var id = (await JsonAsync(created)).GetProperty("id").GetString()!;
        Assert.True(budgets.States().Single(s => s.Budget.Name == "Batch test").ReservedNanoUsd > 0 || Finished(await GetAsync(client, id)));
        await WaitAsync(client, id, Finished);

        // The budget covers the key's whole month, which holds the other tests' batches too: it must equal the ledger's.
        var ledger = await factory.LedgerAsync();
        var key = long.Parse(await KeyIdAsync(), System.Globalization.CultureInfo.InvariantCulture);
        var after = budgets.States().Single(s => s.Budget.Name == "Batch test");
        Assert.True(ledger.Where(r => r.BatchId == id).Sum(r => r.CostNanoUsd) > 0);
        Assert.Equal(ledger.Where(r => r.ApiKeyId == key).Sum(r => r.CostNanoUsd), after.SpentNanoUsd);
        Assert.Equal(0, after.ReservedNanoUsd);
    }

    private async Task<string> KeyIdAsync() =>
        (await factory.Services.GetRequiredService<CostConsole.Web.Keys.KeyService>().ListAsync(false, TestContext.Current.CancellationToken)).Single().Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
