using System.Globalization;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Api;
using CostConsole.Web.Budgets;
using CostConsole.Web.Caching;
using CostConsole.Web.Extensions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CostConsole.Web.Cluster;

/// <summary>
/// Tells every instance what another changed: a publish of rules, prices, mappings or experiments (a new routing
/// snapshot), a key created, edited or revoked, a budget saved or deleted, cached answers purged. The instance that made the change bumps a
/// version in Redis and publishes it; the others reload that part from the database at once. A missed message (a
/// reconnect) is caught by each instance comparing the version with the one it last applied every
/// <see cref="RedisOptions.VersionPollSeconds"/>; a change made while Redis was down is announced once it is back.
/// </summary>
internal sealed partial class ClusterChanges(
    RedisStore redis,
    RoutingState routing,
    RoutingPublisher publisher,
    ApiKeyDirectory keys,
    BudgetGuard budgets,
    ResponseCache cache,
    CacheEntryStore cacheStore,
    IOptions<RedisOptions> options,
    ILogger<ClusterChanges> logger) : BackgroundService
{
    public const string Routing = "routing";
    public const string Keys = "keys";
    public const string Budgets = "budgets";

    private static readonly AsyncLocal<bool> Applying = new();
    private readonly SemaphoreSlim _apply = new(1, 1);
    private long _seen;
    private int _unannounced;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        routing.Published += _ => Changed(Routing);
        keys.Reloaded += () => Changed(Keys);
        budgets.Changed += () => Changed(Budgets);
        cacheStore.Purged += purge => Changed(purge.Topic);

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.VersionPollSeconds));
        var subscribed = false;
        try
        {
            do
            {
                try
                {
                    if (!subscribed)
                    {
                        var queue = await redis.Subscriber.SubscribeAsync(redis.Channel("changes"));
                        queue.OnMessage(OnMessageAsync);
                        subscribed = true;
                        _seen = await VersionAsync();
                    }

                    if (Interlocked.Exchange(ref _unannounced, 0) != 0)
                    {
                        await AnnounceAsync("all");
                    }
                    else if (await VersionAsync() is var version && version != Volatile.Read(ref _seen))
                    {
                        // A notification was missed: reload everything.
                        await ApplyAsync("all", version, stoppingToken);
                    }
                }
                catch (Exception ex) when (RedisStore.IsUnreachable(ex))
                {
                    NotListening(logger, redis.Endpoint, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private void Changed(string topic)
    {
        if (Applying.Value)
        {
            return;
        }

        _ = AnnounceSafelyAsync(topic);
    }

    private async Task AnnounceSafelyAsync(string topic)
    {
        try
        {
            await AnnounceAsync(topic);
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            Volatile.Write(ref _unannounced, 1);
            NotAnnounced(logger, topic, redis.Endpoint, ex.Message);
        }
    }

    private async Task AnnounceAsync(string topic)
    {
        var version = await redis.Database.StringIncrementAsync(redis.Key("config-version"));
        Volatile.Write(ref _seen, version);
        await redis.Subscriber.PublishAsync(redis.Channel("changes"), $"{redis.InstanceId} {topic} {version.ToString(CultureInfo.InvariantCulture)}");
    }

    private async Task OnMessageAsync(ChannelMessage message)
    {
        var parts = ((string?)message.Message ?? "").Split(' ');
        if (parts.Length != 3 || parts[0] == redis.InstanceId || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            return;
        }

        try
        {
            await ApplyAsync(parts[1], version, CancellationToken.None);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or RoutingConfigException or InvalidOperationException)
        {
            NotApplied(logger, parts[1], ex.Message);
        }
    }

    /// <summary>Reloads what changed from the database, without announcing it again.</summary>
    private async Task ApplyAsync(string topic, long version, CancellationToken cancellationToken)
    {
        await _apply.WaitAsync(cancellationToken);
        Applying.Value = true;
        try
        {
            if (topic is Routing or "all")
            {
                await publisher.ReloadAsync(cancellationToken);
            }

            if (topic is Keys or "all")
            {
                await keys.ReloadAsync(cancellationToken);
            }

            if (topic is Budgets or "all")
            {
                await budgets.ApplyChangesAsync(cancellationToken);
            }

            if (CachePurge.FromTopic(topic) is { } purge)
            {
                // Through the local store too: an entry stored here and not yet written is deleted after it is.
                cache.Purge(purge.Selects);
            }
            else if (topic is "all")
            {
                await cacheStore.ReconcileAsync(cache, cancellationToken);
            }

            if (version > Volatile.Read(ref _seen))
            {
                Volatile.Write(ref _seen, version);
            }
        }
        finally
        {
            Applying.Value = false;
            _apply.Release();
        }
    }

    private async Task<long> VersionAsync() => (long?)await redis.Database.StringGetAsync(redis.Key("config-version")) ?? 0;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change notifications from other instances are not received: Redis at {Endpoint} is unreachable ({Error}). Trying again.")]
    private static partial void NotListening(ILogger logger, string endpoint, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The change to {Topic} could not be announced to the other instances: Redis at {Endpoint} is unreachable ({Error}). It is announced once Redis is back.")]
    private static partial void NotAnnounced(ILogger logger, string topic, string endpoint, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A change to {Topic} made on another instance could not be applied here: {Error}")]
    private static partial void NotApplied(ILogger logger, string topic, string error);
}
