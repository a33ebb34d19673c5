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
/// The app with its ledger watched: the client of a request in conversation <see cref="Prefix"/>… hangs up once the
/// provider has answered, just before the request's row is written.
/// </summary>
public sealed class LeavingBeforeRowFactory : CostConsoleFactory
{
    public const string Prefix = "leaves-before-the-row-";

    /// <summary>The clients of the watched conversations, by conversation; each hangs up when its answer is about to be recorded.</summary>
    public ConcurrentDictionary<string, CancellationTokenSource> Leave { get; } = new();

    public ConcurrentDictionary<string, TaskCompletionSource> Finished { get; } = new();

    /// <summary>Every row the pipeline handed to the ledger for a watched conversation, in order.</summary>
    public ConcurrentQueue<LedgerEntry> Recorded { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILedger>(sp => new LeavingLedger(sp.GetRequiredService<LedgerWriter>(), this));
            services.AddSingleton<IStartupFilter>(new AbortFilter(this));
        });
    }

    public void Watch(string conversation)
    {
        Leave[conversation] = new CancellationTokenSource();
        Finished[conversation] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class LeavingLedger(LedgerWriter inner, LeavingBeforeRowFactory factory) : ILedger
    {
        public async ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
        {
            if (entry.ConversationId is { } conversation && factory.Leave.TryGetValue(conversation, out var leave))
            {
                factory.Recorded.Enqueue(entry);
                // The provider has answered and been paid; the client hangs up before the row goes in.
                await leave.CancelAsync();
            }

            await inner.RecordAsync(entry, cancellationToken);
        }
    }

    private sealed class AbortFilter(LeavingBeforeRowFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                var conversation = context.Request.Headers[OpenAIApi.ConversationHeader].ToString();
                var watched = factory.Leave.TryGetValue(conversation, out var leave);
                if (watched)
                {
                    // What the app sees of a client that hangs up: the request's abort token fires.
                    context.RequestAborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, leave!.Token).Token;
                }

                try
                {
                    await following(context);
                }
                finally
                {
                    if (watched)
                    {
                        factory.Finished[conversation].TrySetResult();
                    }
                }
            });
            next(app);
        };
    }
}

public sealed class LeftBeforeRecordTests(LeavingBeforeRowFactory factory) : IClassFixture<LeavingBeforeRowFactory>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_client_that_leaves_once_the_provider_has_answered_still_leaves_the_answered_row_with_its_cost(bool stream)
    {
        var conversation = LeavingBeforeRowFactory.Prefix + (stream ? "streamed" : "whole");
        factory.Watch(conversation);
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add(OpenAIApi.ConversationHeader, conversation);
        var body = $$"""{"model":"simulator/gpt-4.1-nano","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"Where is parcel {{Guid.NewGuid():N}}?"}]}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        try
        {
            using var response = await client.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);
        }
        catch (HttpRequestException)
        {
            // The app treats this client as gone; what it reads does not matter here.
        }

        await factory.Finished[conversation].Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        // The one row of the request is the answer the provider charged for, with its cost — not a lost row, and not a
        // "client closed" row that drops what was spent.
        var recorded = Assert.Single(factory.Recorded, e => e.ConversationId == conversation);
        Assert.Equal((LedgerStatus.Answered, 200), (recorded.Status, recorded.HttpStatus));
        var row = Assert.Single(await factory.LedgerAsync(), r => r.RequestId == recorded.RequestId);
        Assert.Equal(200, row.HttpStatus);
        Assert.True(row.CostNanoUsd > 0, $"The answered row carries its cost; it had {row.CostNanoUsd} nano-USD.");
    }
}
