using System.Collections.Concurrent;
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

/// <summary>When the client of a watched conversation hangs up, measured against its request's ledger row.</summary>
public enum Leaving
{
    /// <summary>Once the provider has answered, just before the row is handed to the ledger.</summary>
    BeforeRow,

    /// <summary>The moment its answered row is committed, before the stream's end goes out.</summary>
    AfterAnsweredRow,
}

/// <summary>
/// The app with its ledger watched: the client of a request in a watched conversation (<see cref="Watch"/>) hangs up at the
/// point its <see cref="Leaving"/> says, as the app sees it — the request's abort token fires.
/// </summary>
public sealed class LeavingClientFactory : CostConsoleFactory
{
    private readonly ConcurrentDictionary<string, Watched> _watched = new();

    /// <summary>Watches the requests sent in <paramref name="conversation"/>.</summary>
    public Watched Watch(string conversation, Leaving when) => _watched[conversation] = new Watched(when);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<ILedger>(sp => new LeavingLedger(sp.GetRequiredService<LedgerWriter>(), _watched));
            services.AddSingleton<IStartupFilter>(new AbortFilter(_watched));
        });
    }

    /// <summary>One watched conversation: its client's hang-up, what its requests handed to the ledger, and when they ended.</summary>
    public sealed class Watched(Leaving when)
    {
        public Leaving When => when;

        public CancellationTokenSource Leave { get; } = new();

        /// <summary>Every row the pipeline handed to the ledger for the conversation, in order.</summary>
        public ConcurrentQueue<LedgerEntry> Recorded { get; } = new();

        /// <summary>The answered row, once committed.</summary>
        public TaskCompletionSource<LedgerEntry> AtLedger { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The app is done with the request.</summary>
        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed class LeavingLedger(LedgerWriter inner, ConcurrentDictionary<string, Watched> watched) : ILedger
    {
        public async ValueTask RecordAsync(LedgerEntry entry, CancellationToken cancellationToken = default)
        {
            if (entry.ConversationId is not { } conversation || !watched.TryGetValue(conversation, out var watch))
            {
                await inner.RecordAsync(entry, cancellationToken);
                return;
            }

            watch.Recorded.Enqueue(entry);
            if (watch.When == Leaving.BeforeRow)
            {
                // The provider has answered and been paid; the client hangs up before the row goes in.
                await watch.Leave.CancelAsync();
            }

            await inner.RecordAsync(entry, cancellationToken);
            if (entry.Status == LedgerStatus.Answered)
            {
                watch.AtLedger.TrySetResult(entry);
                if (watch.When == Leaving.AfterAnsweredRow)
                {
                    // The row is committed; now the client is gone, before the stream's end goes out.
                    await watch.Leave.CancelAsync();
                }
            }
        }
    }

    private sealed class AbortFilter(ConcurrentDictionary<string, Watched> watched) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                if (!watched.TryGetValue(context.Request.Headers[OpenAIApi.ConversationHeader].ToString(), out var watch))
                {
                    await following(context);
                    return;
                }

                // What the app sees of a client that hangs up: the request's abort token fires.
                context.RequestAborted = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, watch.Leave.Token).Token;
                try
                {
                    await following(context);
                }
                finally
                {
                    watch.Finished.TrySetResult();
                }
            });
            next(app);
        };
    }
}
