using System.Text.Json;
using CostConsole.Web.Metrics;

namespace CostConsole.Web.Cluster;

/// <summary>
/// The live dashboard of every instance shows the traffic of all of them: each instance publishes its own second of
/// traffic to Redis, and adds the others' to its live view. (Hub clients get every instance's own ticks through the
/// SignalR backplane instead.) A second published while Redis is away is not shown elsewhere; the history, read from
/// the ledger's rollups, is complete regardless.
/// </summary>
internal sealed partial class ClusterTicks(RedisStore redis, LiveMetrics live, ILogger<ClusterTicks> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        live.Closed += Publish;
        try
        {
            // Subscribed once Redis answers; the connection resubscribes by itself after an outage.
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var queue = await redis.Subscriber.SubscribeAsync(redis.Channel("ticks"));
                    queue.OnMessage(message => Receive(message.Message));
                    await Task.Delay(Timeout.Infinite, stoppingToken);
                }
                catch (Exception ex) when (RedisStore.IsUnreachable(ex))
                {
                    NotSubscribed(logger, redis.Endpoint, ex.Message);
                    await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            live.Closed -= Publish;
        }
    }

    private void Publish(MetricsTick tick)
    {
        if (tick.Requests == 0 || !redis.IsConnected)
        {
            return;
        }

        var message = redis.InstanceId + " " + JsonSerializer.Serialize(tick, Json);
        _ = redis.Subscriber.PublishAsync(redis.Channel("ticks"), message, StackExchange.Redis.CommandFlags.FireAndForget);
    }

    private void Receive(StackExchange.Redis.RedisValue message)
    {
        var text = (string?)message ?? "";
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || text.AsSpan(0, space).SequenceEqual(redis.InstanceId))
        {
            return;
        }

        if (JsonSerializer.Deserialize<MetricsTick>(text.AsSpan(space + 1), Json) is { } tick)
        {
            live.AddOtherInstance(tick);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The dashboard shows this instance's traffic alone until Redis at {Endpoint} answers ({Error}).")]
    private static partial void NotSubscribed(ILogger logger, string endpoint, string error);
}
