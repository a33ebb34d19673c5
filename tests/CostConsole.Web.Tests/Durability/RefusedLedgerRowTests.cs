using System.Net.Http.Json;
using CostConsole.Data.Database;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Tests.Infrastructure;
using CostConsole.Web.Tests.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Durability;

public sealed class RefusedLedgerRowTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    [Fact]
    public async Task A_row_the_ledger_refuses_fails_only_its_own_request_and_the_rest_of_its_batch_is_written()
    {
        var result = await RefusedLedgerRow.WriteBatchWithADuplicateAsync(factory, new LedgerOptions());

        result.AssertOnlyTheDuplicateFailed();
    }
}

/// <summary>
/// One batch of ledger rows in which one request id is already in the ledger, committed by a writer of its own on the
/// app's database: the three rows are queued before the writer starts, so they are one batch.
/// </summary>
internal static class RefusedLedgerRow
{
    public static async Task<Result> WriteBatchWithADuplicateAsync(CostConsoleFactory factory, LedgerOptions options)
    {
        using var client = factory.CreateApiClient();
        using var answered = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "auto", messages = new[] { new { role = "user", content = TrafficSender.Faq } } }, TestContext.Current.CancellationToken);
        answered.EnsureSuccessStatusCode();
        var existing = answered.Headers.GetValues("x-costconsole-request-id").Single();

        var before = await factory.LedgerAsync();
        var writer = new LedgerWriter(factory.Services.GetRequiredService<CostConsoleDatabase>(), options);
        var observed = new List<string>();
        writer.Subscribe(batch => observed.AddRange(batch.Select(e => e.RequestId)));
        var first = Entry("req_" + Guid.CreateVersion7().ToString("N"));
        var last = Entry("req_" + Guid.CreateVersion7().ToString("N"));
        var writes = new[] { writer.RecordAsync(first).AsTask(), writer.RecordAsync(Entry(existing)).AsTask(), writer.RecordAsync(last).AsTask() };
        writer.Start();
        try
        {
            await Task.WhenAll(writes).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        }
        catch (LedgerUnavailableException)
        {
            // Read per write below.
        }
        finally
        {
            await writer.DisposeAsync();
        }

        return new Result(existing, first.RequestId, last.RequestId, writes, before, await factory.LedgerAsync(), observed);
    }

    private static LedgerEntry Entry(string requestId) => new()
    {
        RequestId = requestId,
        Timestamp = DateTimeOffset.UtcNow,
        ApiKeyId = null,
        RequestedModel = "auto",
        Model = "gpt-4.1-nano",
        Provider = "simulator",
        Tier = "small",
        PromptTokens = 120,
        CompletionTokens = 40,
        Cost = 0.0012m,
        BaselineCost = 0.0048m,
        Priced = true,
        Status = LedgerStatus.Answered,
        HttpStatus = 200,
    };

    public sealed record Result(
        string Existing,
        string First,
        string Last,
        Task[] Writes,
        List<Data.Entities.RequestLogRow> Before,
        List<Data.Entities.RequestLogRow> After,
        List<string> Observed)
    {
        public void AssertOnlyTheDuplicateFailed()
        {
            // The two other requests are acknowledged and their rows are there; the duplicate's request is told the ledger failed.
            Assert.True(Writes[0].IsCompletedSuccessfully, Writes[0].Exception?.ToString());
            Assert.True(Writes[2].IsCompletedSuccessfully, Writes[2].Exception?.ToString());
            Assert.IsType<LedgerUnavailableException>(Writes[1].Exception?.InnerException);
            Assert.Equal([First, Last], Observed);

            var added = After.Where(r => Before.All(b => b.Id != r.Id)).Select(r => r.RequestId).ToList();
            Assert.Equal([First, Last], added);

            // The row already there for that request is untouched.
            var original = Assert.Single(After, r => r.RequestId == Existing);
            Assert.Equal(Assert.Single(Before, r => r.RequestId == Existing).CostNanoUsd, original.CostNanoUsd);
        }
    }
}
