using System.Collections.Concurrent;
using System.Net.Sockets;
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
/// The app with its ledger watched: the request of the answer row in conversation <see cref="Conversation"/> is held until
/// its client has gone once the row is committed, so the client leaves between the row being written and the stream's end going out.
/// </summary>
public sealed class LeavingClientFactory : CostConsoleFactory
{
    public const string Conversation = "leaves-after-the-row";

    public TaskCompletionSource<LedgerEntry> AtLedger { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Every row the pipeline recorded for the conversation, in order.</summary>
    public ConcurrentQueue<LedgerEntry> Recorded { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddHttpContextAccessor();
            services.AddSingleton<ILedger>(sp => new HoldingLedger(sp.GetRequiredService<LedgerWriter>(), sp.GetRequiredService<IHttpContextAccessor>(), this));
            services.AddSingleton<IStartupFilter>(new FinishedFilter(this));
        });
    }

    private sealed class HoldingLedger(LedgerWriter inner, IHttpContextAccessor http, LeavingClientFactory factory) : ILedger
    {
        public async ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
        {
            await inner.RecordAsync(entry, cancellationToken);
            if (entry.ConversationId != Conversation)
            {
                return;
            }

            factory.Recorded.Enqueue(entry);
            if (entry.Status == LedgerStatus.Answered && http.HttpContext is { } context)
            {
                // The row is committed; the request goes on only once its client has gone.
                factory.AtLedger.TrySetResult(entry);
                var gone = new TaskCompletionSource();
                await using (context.RequestAborted.Register(() => gone.TrySetResult()))
                {
                    await gone.Task.WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
                }
            }
        }
    }

    private sealed class FinishedFilter(LeavingClientFactory factory) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
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
        // A raw connection, reset while the answer's row is being written: the stream's end can no longer go out.
        var body = Encoding.UTF8.GetBytes($$"""{"model":"simulator/gpt-4.1-nano","stream":true,"messages":[{"role":"user","content":"Where is parcel {{Guid.NewGuid():N}}?"}]}""");
        var head = $"POST /v1/chat/completions HTTP/1.1\r\nHost: {factory.BaseAddress.Authority}\r\nAuthorization: Bearer {CostConsoleFactory.ApiKey}\r\n"
            + $"{OpenAIApi.ConversationHeader}: {LeavingClientFactory.Conversation}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(factory.BaseAddress.Host, factory.BaseAddress.Port, TestContext.Current.CancellationToken);
            await socket.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head).Concat(body).ToArray(), TestContext.Current.CancellationToken);
            await factory.AtLedger.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
            socket.Client.LingerState = new LingerOption(true, 0);
        }

        await factory.Finished.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        // One row per request, the answer the client paid for; not a second "client closed" row for the same request id.
        var recorded = Assert.Single(factory.Recorded);
        Assert.Equal((LedgerStatus.Answered, 200), (recorded.Status, recorded.HttpStatus));
        var row = Assert.Single(await factory.LedgerAsync(), r => r.RequestId == recorded.RequestId);
        Assert.Equal(200, row.HttpStatus);
    }
}
