using System.Net;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Budgets;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Scale;

/// <summary>A batch's worst case is held on the shared counter in Redis, so two instances cannot each reserve one budget for a batch.</summary>
public sealed class SharedBatchBudgetTests : IAsyncLifetime
{
    private const int Lines = 8;
    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    private static string BatchFile() => File(Lines, model: "gpt-4.1-nano", maxTokens: 2000);

    private static async Task<HttpResponseMessage> CreateBatchAsync(HttpClient client, string fileId) =>
        await client.PostAsync("/v1/batches", JsonContent(new { input_file_id = fileId, endpoint = "/v1/chat/completions", completion_window = "24h" }), TestContext.Current.CancellationToken);

    private static async Task<string> UploadFileAsync(HttpClient client)
    {
        using var uploaded = await UploadAsync(client, BatchFile());
        Assert.True(uploaded.IsSuccessStatusCode);
        return (await JsonAsync(uploaded)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task A_batch_reserved_on_one_instance_leaves_no_room_for_a_second_on_another_and_its_hold_is_given_back_when_it_finishes()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Cluster.StartAsync(_redis, settings: new()
        {
            // One line at a time, each taking a moment: the first batch still holds most of its worst case when the second comes.
            ["CostConsole:Batches:Concurrency"] = "1",
            ["CostConsole:Simulator:LatencyScale"] = "0.2",
            ["CostConsole:Redis:ReconcileSeconds"] = "1",
        });
        using var onA = cluster.A.CreateApiClient();
        using var onB = cluster.B.CreateApiClient();

        // The budget holds one batch's worst case and a half: one batch fits, two do not.
        var first = await UploadFileAsync(onA);
        var budgets = cluster.A.Services.GetRequiredService<BudgetService>();
        var form = new BudgetForm { Name = "Batches", Scope = BudgetScope.Global, Period = BudgetPeriod.Monthly, LimitUsd = 1000m, Thresholds = "100" };
        var saved = await budgets.SaveAsync(form, "test", ct);
        Assert.True(saved.Saved, saved.Summary);
        await cluster.B.Services.GetRequiredService<BudgetGuard>().ApplyChangesAsync(ct);
        string firstBatch;
        using (var created = await CreateBatchAsync(onA, first))
        {
            Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync(ct));
            firstBatch = (await JsonAsync(created)).GetProperty("id").GetString()!;
        }

        long worst;
        await using (var db = await cluster.A.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(ct))
        {
            worst = await db.Set<BatchEntity>().Where(b => b.Id == firstBatch).Select(b => b.ReservedNanoUsd).SingleAsync(ct);
        }

        Assert.True(worst > 0);
        form.Id = saved.Id;
        form.LimitUsd = worst * 3 / 2 / 1_000_000_000m;
        Assert.True((await budgets.SaveAsync(form, "test", ct)).Saved);
        await cluster.B.Services.GetRequiredService<BudgetGuard>().ApplyChangesAsync(ct);

        // B, counting alone, would see the whole budget free.
        var second = await UploadFileAsync(onB);
        using (var refused = await CreateBatchAsync(onB, second))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            var error = (await JsonAsync(refused)).GetProperty("error");
            Assert.Equal("budget_exceeded", error.GetProperty("code").GetString());
            Assert.Contains("'Batches'", error.GetProperty("message").GetString(), StringComparison.Ordinal);
            Assert.Contains("across all instances", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal("completed", (await WaitAsync(onA, firstBatch, Finished, seconds: 300)).GetProperty("status").GetString());

        // Finished: the hold is given back on the shared counter, which every instance shows, and spent equals the ledger.
        var spent = (await cluster.A.LedgerAsync()).Sum(r => r.CostNanoUsd);
        Assert.True(spent > 0 && spent + worst <= worst * 3 / 2, $"the first batch spent {spent} nano-USD of a worst case of {worst}");
        foreach (var host in cluster.Hosts)
        {
            var guard = host.Services.GetRequiredService<BudgetGuard>();
            var deadline = DateTime.UtcNow.AddSeconds(30);
            BudgetState state;
            while ((state = guard.States().Single(s => s.Budget.Name == "Batches")) is not { ReservedNanoUsd: 0, InFlight: 0 } || state.SpentNanoUsd != spent)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{host.BaseAddress}: spent {state.SpentNanoUsd}, reserved {state.ReservedNanoUsd}, in flight {state.InFlight}; the ledger holds {spent}");
                await Task.Delay(100, ct);
            }
        }

        // The room is back for a batch from B.
        using var accepted = await CreateBatchAsync(onB, second);
        Assert.True(accepted.IsSuccessStatusCode, await accepted.Content.ReadAsStringAsync(ct));
        await WaitAsync(onB, (await JsonAsync(accepted)).GetProperty("id").GetString()!, Finished, seconds: 300);
    }
}
