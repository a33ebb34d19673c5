using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Tests.Scale;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

/// <summary>Two instances over one database, both looking for batches every tenth of a second: each batch runs once.</summary>
public sealed class BatchLeaseTests : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["CostConsole:Batches:PollSeconds"] = "0.1",
        ["CostConsole:Batches:LeaseSeconds"] = "2",
        ["CostConsole:Simulator:LatencyScale"] = "0.1",
    };

    private readonly RedisServer _redis = new();

    public async ValueTask InitializeAsync() => await _redis.InitializeAsync();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task A_batch_seen_by_two_instances_runs_each_line_exactly_once()
    {
        await using var cluster = await Scale.Cluster.StartAsync(_redis, settings: Settings);
        using var onA = cluster.A.CreateApiClient();
        using var onB = cluster.B.CreateApiClient();

        var id = await StartAsync(onA, File(24));
        var batch = await WaitAsync(onB, id, Finished);

        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(24, Count(batch, "completed"));
        var ledger = (await cluster.B.LedgerAsync()).Where(r => r.BatchId == id).ToList();
        Assert.Equal(24, ledger.Count);
        var output = await DownloadLinesAsync(onA, batch.GetProperty("output_file_id").GetString()!);
        Assert.Equal(Enumerable.Range(1, 24).Select(i => $"request-{i}").Order(), output.Select(l => l.GetProperty("custom_id").GetString()!).Order());
        Assert.Equal(ledger.Select(r => r.RequestId).Order(), output.Select(l => l.GetProperty("response").GetProperty("request_id").GetString()!).Order());
    }

    [Fact]
    public async Task A_batch_left_by_a_crashed_instance_is_finished_by_another_once_its_lease_lapses_without_rerunning_finished_lines()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await Scale.Cluster.StartAsync(_redis, settings: Settings);
        using var onB = cluster.B.CreateApiClient();
        using var uploaded = await UploadAsync(onB, File(6));
        var fileId = (await JsonAsync(uploaded)).GetProperty("id").GetString()!;

        // As a crashed instance leaves it: in progress, two lines done, the rest pending, its lease still running a little.
        var contexts = cluster.B.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        var leaseEnds = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.AddSeconds(2).ToUnixTimeMilliseconds());
        var id = "batch_" + Guid.NewGuid().ToString("N");
        await using (var db = await contexts.CreateDbContextAsync(ct))
        {
            var file = await db.BatchFiles.SingleAsync(f => f.Id == fileId, ct);
            var lines = JsonDocumentLines(System.Text.Encoding.UTF8.GetString(file.Content));
            db.Batches.Add(new BatchEntity
            {
                Id = id,
                ApiKeyId = file.ApiKeyId,
                InputFileId = fileId,
                Endpoint = "/v1/chat/completions",
                CompletionWindow = "24h",
                Status = "in_progress",
                CreatedAt = DateTimeOffset.UtcNow,
                InProgressAt = DateTimeOffset.UtcNow,
                ExpiresAt = DateTimeOffset.UtcNow.AddHours(24),
                Total = lines.Count,
                LeaseOwner = "crashed-instance",
                LeaseExpiresAt = leaseEnds,
            });
            db.BatchLines.AddRange(lines.Select((l, i) => new BatchLineEntity
            {
                BatchId = id,
                Line = i + 1,
                CustomId = l.GetProperty("custom_id").GetString()!,
                Body = l.GetProperty("body").GetRawText(),
                Status = i < 2 ? BatchLineStatus.Succeeded : BatchLineStatus.Pending,
                RequestId = i < 2 ? $"req_before_crash_{i + 1}" : null,
                StatusCode = i < 2 ? 200 : null,
                ResponseBody = i < 2 ? "{\"answered\":\"before the crash\"}" : null,
                FinishedAt = i < 2 ? DateTimeOffset.UtcNow : null,
            }));
            await db.SaveChangesAsync(ct);
        }

        var batch = await WaitAsync(onB, id, Finished);

        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal(6, Count(batch, "completed"));
        var ledger = (await cluster.A.LedgerAsync()).Where(r => r.BatchId == id).ToList();
        Assert.Equal(4, ledger.Count);
        Assert.All(ledger, r => Assert.True(r.Timestamp >= leaseEnds, $"A line ran at {r.Timestamp:O}, while the crashed instance's lease still ran until {leaseEnds:O}."));
        var output = await DownloadLinesAsync(onB, batch.GetProperty("output_file_id").GetString()!);
        Assert.Equal(Enumerable.Range(1, 6).Select(i => $"request-{i}").Order(), output.Select(l => l.GetProperty("custom_id").GetString()!).Order());
        var requestIds = output.ToDictionary(l => l.GetProperty("custom_id").GetString()!, l => l.GetProperty("response").GetProperty("request_id").GetString()!);
        Assert.Equal("req_before_crash_1", requestIds["request-1"]);
        Assert.Equal("req_before_crash_2", requestIds["request-2"]);
        Assert.Equal(ledger.Select(r => r.RequestId).Order(), requestIds.Where(p => p.Key is not ("request-1" or "request-2")).Select(p => p.Value).Order());
    }

    private static List<JsonElement> JsonDocumentLines(string text) =>
        [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
}
