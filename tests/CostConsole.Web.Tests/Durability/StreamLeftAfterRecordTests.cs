using System.Collections.Concurrent;
using System.Text;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Api;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Durability;

/// <summary>
/// The app with its ledger watched: the client of the request in conversation <see cref="Conversation"/> hangs up the moment
/// its answer row is committed, between the row being written and the stream's end going out.
/// </summary>
public sealed class LeavingClientFactory : CostConsoleFactory
{
    public const string Conversation = "leaves-after-the-row";

    public TaskCompletionSource<LedgerEntry> AtLedger { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The client of the conversation's request hangs up.</summary>
    public CancellationTokenSource Leave { get; } = new();

    /// <summary>Every row the pipeline recorded for the conversation, in order.</summary>
    public ConcurrentQueue<LedgerEntry> Recorded { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILedger>(sp => new HoldingLedger(sp.GetRequiredService<LedgerWriter>(), this));
            services.AddSingleton<IStartupFilter>(new FinishedFilter(this));
        });
    }

    private sealed class HoldingLedger(LedgerWriter inner, LeavingClientFactory factory) : ILedger
    {
        public async ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
        {
            if (entry.ConversationId != Conversation)
            {
                await inner.RecordAsync(entry, cancellationToken);
                return;
            }

            factory.Recorded.Enqueue(entry);
            await inner.RecordAsync(entry, cancellationToken);
            if (entry.Status == LedgerStatus.Answered)
            {
                // The row is committed; now the client is gone, before the stream's end goes out.
                factory.AtLedger.TrySetResult(entry);
                await factory.Leave.CancelAsync();
            }
        }
    }

    private sealed class FinishedFilter(LeavingClientFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                if (context.Request.Headers[OpenAIApi.ConversationHeader] == Conversation)
                {
                    // What the app sees of a client that hangs up: the request's abort token fires.
                    context.RequestAborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, factory.Leave.Token).Token;
                }

                try
                {
                    await following(context);
                }
                finally
                {
                    if (context.Request.Headers[OpenAIApi.ConversationHeader] == Conversation)
                    {
                        factory.Finished.TrySetResult();
                    }
                }
            });
            next(app);
        };
    }
}

public sealed class StreamLeftAfterRecordTests(LeavingClientFactory factory) : IClassFixture<LeavingClientFactory>
{
    [Fact]
    public async Task A_client_that_leaves_once_its_streamed_answer_is_recorded_leaves_that_one_answer_row()
    {
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add(OpenAIApi.ConversationHeader, LeavingClientFactory.Conversation);
        using var content = new StringContent($$"""{"model":"simulator/gpt-4.1-nano","stream":true,"messages":[{"role":"user","content":"Where is parcel {{Guid.NewGuid():N}}?"}]}""", Encoding.UTF8, "application/json");
        try
        {
            using var response = await client.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            // The app treats this client as gone, so whatever it reads of the stream's end does not matter here.
        }

        await factory.AtLedger.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        await factory.Finished.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        // One row per request, the answer the client paid for; not a second "client closed" row for the same request id.
        var recorded = Assert.Single(factory.Recorded);
        Assert.Equal((LedgerStatus.Answered, 200), (recorded.Status, recorded.HttpStatus));
        var row = Assert.Single(await factory.LedgerAsync(), r => r.RequestId == recorded.RequestId);
        Assert.Equal(200, row.HttpStatus);
    }
}
