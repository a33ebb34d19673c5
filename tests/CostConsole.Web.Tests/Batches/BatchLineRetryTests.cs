using System.Text;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Batches;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static CostConsole.Web.Tests.Batches.BatchHelpers;

namespace CostConsole.Web.Tests.Batches;

/// <summary>
/// The simulator behind a provider that answers the first call of any request mentioning "flaky" with a 429, and
/// whose deployments are not retried by the pipeline, so only the batch's own retry can save such a line.
/// </summary>
public sealed class FlakyProviderFactory() : CostConsoleFactory(new()
{
    ["CostConsole:Catalogue:Providers:0:Name"] = "simulator",
    ["CostConsole:Catalogue:Providers:0:BaseUrl"] = "/sim/v1",
    ["CostConsole:Catalogue:Providers:0:MaxRetries"] = "0",
    ["CostConsole:Batches:RetryDelaySeconds"] = "0.01",
})
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IModelInvoker>(sp =>
            new FirstCallRateLimited(UpstreamInvokers.Create(sp.GetRequiredService<ILocalServerAddress>(), sp.GetRequiredService<ITokenCounter>()))));
    }
}

/// <summary>Says 429 to the first call of a request that mentions "flaky"; every other call reaches the provider.</summary>
internal sealed class FirstCallRateLimited(IModelInvoker inner) : IModelInvoker
{
    private int _refused;

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        CompleteAsync(target, request, default, cancellationToken);

    public Task<UpstreamReply> CompleteAsync(RoutedModel target, ChatRequest request, UpstreamOptions options, CancellationToken cancellationToken) =>
        request.LastUserText.Contains("flaky", StringComparison.Ordinal) && Interlocked.Exchange(ref _refused, 1) == 0
            ? Task.FromResult(new UpstreamReply
            {
                Status = 429,
                Body = BinaryData.FromString("""{"error":{"message":"Rate limit reached.","type":"requests","code":"rate_limit_exceeded"}}"""),
                Failure = UpstreamFailure.RateLimited,
                Error = "Rate limit reached.",
            })
            : inner.CompleteAsync(target, request, options, cancellationToken);

    public Task<UpstreamStream> OpenStreamAsync(RoutedModel target, ChatRequest request, CancellationToken cancellationToken) =>
        inner.OpenStreamAsync(target, request, cancellationToken);
}

public sealed class BatchLineRetryTests
{
    [Fact]
    public async Task A_line_the_provider_rate_limits_is_tried_again_and_succeeds_with_its_retry_counted()
    {
        await using var factory = new FlakyProviderFactory();
        using var client = factory.CreateApiClient();
        var content = Line("steady-1", "Where is my parcel?", "gpt-4.1-nano") + "\n"
            + Line("flaky", "This flaky request is refused once.", "gpt-4.1-nano") + "\n"
            + Line("steady-2", "When does the shop open?", "gpt-4.1-nano") + "\n";
        var id = await StartAsync(client, content);

        var batch = await WaitAsync(client, id, Finished);

        Assert.Equal("completed", batch.GetProperty("status").GetString());
        Assert.Equal((3, 0), (Count(batch, "completed"), Count(batch, "failed")));
        Assert.Equal(JsonValueKindNull, batch.GetProperty("error_file_id").ValueKind);
        var output = await DownloadLinesAsync(client, batch.GetProperty("output_file_id").GetString()!);
        Assert.All(output, l => Assert.Equal(200, l.GetProperty("response").GetProperty("status_code").GetInt32()));

        var contexts = factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        await using var db = await contexts.CreateDbContextAsync(TestContext.Current.CancellationToken);
        var retries = await db.BatchLines.Where(l => l.BatchId == id).ToDictionaryAsync(l => l.CustomId, l => l.Retries, TestContext.Current.CancellationToken);
        Assert.Equal(new Dictionary<string, int> { ["steady-1"] = 0, ["flaky"] = 1, ["steady-2"] = 0 }, retries);

        // The refused try is in the ledger as what it was; the line's answer is recorded once.
        var ledger = (await factory.LedgerAsync()).Where(r => r.BatchId == id).ToList();
        Assert.Equal(3, ledger.Count(r => r.Status == 0));
        Assert.Single(ledger, r => r.Status != 0);
    }

    [Fact]
    public async Task A_key_at_its_request_rate_slows_its_batch_down_instead_of_failing_lines()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var factory = new CostConsoleFactory();
        var (saved, key) = await factory.Services.GetRequiredService<KeyService>().CreateAsync(new KeyForm { Name = "nightly", Team = "ops", RequestsPerMinute = 2 }, "test");
        Assert.True(saved.Saved, saved.Summary);

        // Made as the console would, so no API call uses up the key's two requests a minute before the lines do.
        var batches = factory.Services.GetRequiredService<BatchService>();
        var (file, refused) = await batches.UploadAsync(key!.Id, "nightly.jsonl", "batch", Encoding.UTF8.GetBytes(File(3, "gpt-4.1-nano")), ct);
        Assert.Null(refused);
        var (created, error) = await batches.CreateAsync(key.Id, file!.Id, "/v1/chat/completions", "24h", null, null, ct);
        Assert.Null(error);

        var deadline = DateTime.UtcNow.AddSeconds(150);
        BatchView? view;
        while ((view = await batches.GetAsync(created!.Batch.Id, null, ct))!.Batch.Status != "completed")
        {
            Assert.True(DateTime.UtcNow < deadline, $"The batch did not complete in 150 s: {view.Batch.Status}, {view.Completed} completed, {view.Failed} failed.");
            await Task.Delay(100, ct);
        }

        Assert.Equal((3, 0), (view.Completed, view.Failed));

        // No line was refused, and no minute saw more of its lines than the key allows.
        var ledger = (await factory.LedgerAsync()).Where(r => r.BatchId == created.Batch.Id).ToList();
        Assert.All(ledger, r => Assert.Equal(0, r.Status));
        Assert.Equal(3, ledger.Count);
        Assert.All(ledger.GroupBy(r => r.Timestamp.ToUnixTimeSeconds() / 60), minute => Assert.InRange(minute.Count(), 1, 2));
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;
}
