using CostConsole.Web.Api;
using Microsoft.AspNetCore.SignalR;

namespace CostConsole.Web.Metrics;

/// <summary>
/// <c>/hubs/metrics</c>: every connected client receives <c>tick</c> (a <see cref="MetricsTick"/>) each second.
/// External clients authenticate with an API key, as <c>/v1</c> does.
/// </summary>
public sealed class MetricsHub(LiveMetrics live) : Hub
{
    public const string Path = "/hubs/metrics";
    public const string TickMethod = "tick";

    /// <summary>The ticks of the last <paramref name="seconds"/> seconds (at most 900), for a client that has just connected.</summary>
    public IReadOnlyList<MetricsTick> Recent(int seconds) => live.Recent(TimeSpan.FromSeconds(Math.Clamp(seconds, 1, (int)LiveMetrics.Window.TotalSeconds)));
}

/// <summary>
/// Lets only callers with an API key with organisation-wide reporting (<c>Authorization: Bearer</c> or, for browsers and
/// WebSockets, <c>?access_token=</c>) or a signed-in console user allowed to see spend reach the hub.
/// </summary>
internal sealed class MetricsHubKeyCheck(RequestDelegate next, ApiKeyDirectory keys)
{
    public const CostConsole.Data.Keys.KeyScopes LiveScopes = CostConsole.Data.Keys.KeyScopes.Reporting | CostConsole.Data.Keys.KeyScopes.Organisation;

    public async Task InvokeAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header) && context.Request.Query["access_token"].ToString() is { Length: > 0 } token)
        {
            header = "Bearer " + token;
        }

        if (Access.Policies.RolesFor[Access.Policies.ViewSpend].Any(context.User.IsInRole))
        {
            await next(context);
            return;
        }

        if (keys.Authenticate(header) is not { } key)
        {
            await ApiErrors.WriteAsync(context.Response, ApiErrors.Unauthorized);
            return;
        }

        // The live stream is the whole organisation's traffic, so a key needs organisation-wide reporting.
        if (!key.Has(LiveScopes))
        {
            await ApiErrors.WriteAsync(context.Response, ApiErrors.MissingScope(key.Scopes, LiveScopes));
            return;
        }

        await next(context);
    }
}

/// <summary>Closes a second every second, on the wall clock's second boundaries, and sends the tick to hub clients.</summary>
internal sealed class LiveMetricsTicker(LiveMetrics live, IHubContext<MetricsHub> hub, TimeProvider time, ILogger<LiveMetricsTicker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Ticks queue here, so one slow hub client delays the broadcast, never the ticking.
        var outbox = System.Threading.Channels.Channel.CreateBounded<MetricsTick>(new System.Threading.Channels.BoundedChannelOptions(120)
        {
            SingleReader = true,
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropOldest,
        });
        var broadcast = BroadcastAsync(outbox.Reader, stoppingToken);
        try
        {
            var now = time.GetUtcNow();
            var next = now.AddTicks(TimeSpan.TicksPerSecond - (now.UtcTicks % TimeSpan.TicksPerSecond));
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = next - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, stoppingToken);
                }

                outbox.Writer.TryWrite(live.Tick(next));
                next = next.AddSeconds(1);
                var late = time.GetUtcNow() - next;
                if (late > TimeSpan.FromSeconds(5))
                {
                    // The process was suspended: resume on the current second instead of bursting catch-up ticks.
                    next = next.Add(TimeSpan.FromSeconds(Math.Floor(late.TotalSeconds)));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }

        outbox.Writer.TryComplete();
        await broadcast;
    }

    private async Task BroadcastAsync(System.Threading.Channels.ChannelReader<MetricsTick> ticks, CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var tick in ticks.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await hub.Clients.All.SendAsync(MetricsHub.TickMethod, tick, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.BroadcastFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }
}

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "A metrics tick could not be sent to hub clients.")]
    public static partial void BroadcastFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rollups caught up from {From:u}: {Rows} ledger rows in {Millis:N0} ms.")]
    public static partial void RollupsCaughtUp(ILogger logger, DateTimeOffset from, long rows, double millis);
}
