using System.Net;
using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

public sealed class BatchScopedBudgetTests
{
    [Fact]
    public async Task A_tier_budget_refuses_a_batch_whose_lines_may_reach_its_tier_and_names_itself_but_not_one_that_stays_out_of_it()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new CostConsoleFactory();
        var budgets = factory.Services.GetRequiredService<BudgetService>();
        var form = new BudgetForm { Name = "Small tier nightly", Scope = BudgetScope.Tier, ScopeValue = "small", Period = BudgetPeriod.Daily, LimitUsd = 0.000001m, Thresholds = "100" };
        Assert.True((await budgets.SaveAsync(form, "test", ct)).Saved);
        using var client = factory.CreateApiClient();
        var before = await StoredBatchesAsync(factory);

        using var uploaded = await UploadAsync(client, File(4, model: "gpt-4.1-nano"));
        var fileId = (await JsonAsync(uploaded)).GetProperty("id").GetString();
        using var refused = await client.PostAsync("/v1/batches", JsonContent(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), ct);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        var error = (await JsonAsync(refused)).GetProperty("error");
        Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
        Assert.Contains("'Small tier nightly' (tier small, daily)", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("Nothing was started", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(before, await StoredBatchesAsync(factory));
        Assert.Equal(0, budgets.States().Single(s => s.Budget.Name == "Small tier nightly").ReservedNanoUsd);

        // Lines pinned to the large model can never land on the small tier: its budget holds nothing for them.
        var id = await StartAsync(client, File(2, model: "gpt-4.1"));
        var batch = await WaitAsync(client, id, Finished);
        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(0, budgets.States().Single(s => s.Budget.Name == "Small tier nightly").ReservedNanoUsd);
    }
}
