using System.Collections.Concurrent;
using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Api;
using CostConsole.Web.Budgets;
using CostConsole.Web.Caching;
using CostConsole.Web.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CostConsole.Web.Cluster;

/// <summary>
/// Tells every instance what another changed: a publish of rules, prices, mappings or experiments (a new routing
/// snapshot), a key created, edited or revoked, a budget saved or deleted, cached answers purged. The instance that made
/// the change bumps that topic's version in the database (<see cref="ChangeVersionEntity"/>) and publishes it on Redis;
/// the others reload that part from the database at once. The database versions are the safety net: every
/// <see cref="RedisOptions.VersionPollSeconds"/> each instance reads them (one query) and reloads each topic whose
/// version differs from the one it last applied, so a lost message, a dropped subscription or a change made while
/// Redis was unreachable still arrives.
/// </summary>
internal sealed partial class ClusterChanges(
    RedisStore redis,
    IDbContextFactory<CostConsoleDbContext> dbFactory,
    RoutingState routing,
    RoutingPublisher publisher,
    ApiKeyDirectory keys,
    BudgetGuard budgets,
    ResponseCache cache,
    CacheEntryStore cacheStore,
    CachePolicies cachePolicies,
    IOptions<RedisOptions> options,
    ILogger<ClusterChanges> logger) : BackgroundService
{
    private static readonly AsyncLocal<bool> Applying = new();
    private readonly SemaphoreSlim _apply = new(1, 1);

    // The database version of each topic whose change is reflected here; null until the first poll has read them.
    private readonly ConcurrentDictionary<string, long> _applied = new(StringComparer.Ordinal);
    private volatile bool _baseline;
    private long _polls;
    private long _reloads;

    /// <summary>How many times this instance has read the database versions.</summary>
    public long Polls => Interlocked.Read(ref _polls);

    /// <summary>How many times this instance has reloaded a part of its configuration for a change made elsewhere.</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        routing.Published += _ => Changed(ChangeVersionEntity.Routing);
        keys.Reloaded += () => Changed(ChangeVersionEntity.Keys);
        budgets.Changed += () => Changed(ChangeVersionEntity.Budgets);
        cacheStore.Purged += purge => Changed(purge.Topic);
        cachePolicies.Changed += () => Changed(ChangeVersionEntity.Cache);

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.VersionPollSeconds));
        var subscribed = false;
        try
        {
            do
            {
                if (!subscribed)
                {
                    try
                    {
                        var queue = await redis.Subscriber.SubscribeAsync(redis.Channel("changes"));
                        queue.OnMessage(OnMessageAsync);
                        subscribed = true;
                    }
                    catch (Exception ex) when (RedisStore.IsUnreachable(ex))
                    {
                        NotListening(logger, redis.Endpoint, ex.Message);
                    }
                }

                try
                {
                    await PollAsync(stoppingToken);
                }
                catch (Exception ex) when ((ex is System.Data.Common.DbException or RoutingConfigException or InvalidOperationException || RedisStore.IsUnreachable(ex)) && !stoppingToken.IsCancellationRequested)
                {
                    NotPolled(logger, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    /// <summary>Reads the database versions; reloads each topic whose version is not the one last applied here.</summary>
    private async Task PollAsync(CancellationToken cancellationToken)
    {
        Dictionary<string, long> versions;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            versions = await db.ChangeVersions.AsNoTracking().ToDictionaryAsync(v => v.Topic, v => v.Version, StringComparer.Ordinal, cancellationToken);
        }

        if (!_baseline)
        {
            // This instance loaded everything as it started.
            foreach (var (topic, version) in versions)
            {
                _applied[topic] = version;
            }

            _baseline = true;
        }
        else
        {
            foreach (var (topic, version) in versions)
            {
                if (_applied.GetValueOrDefault(topic) != version)
                {
                    // A notification was missed: reload the topic, which reflects every change up to this version.
                    await ApplyAsync(topic, topic, version, cancellationToken);
                }
            }
        }

        Interlocked.Increment(ref _polls);
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
        long version;
        try
        {
            version = await BumpAsync(Stored(topic));
        }
        catch (System.Data.Common.DbException ex)
        {
            NotRecorded(logger, topic, ex.Message);
            return;
        }

        try
        {
            await redis.Subscriber.PublishAsync(redis.Channel("changes"), $"{redis.InstanceId} {topic} {version.ToString(CultureInfo.InvariantCulture)}");
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            NotAnnounced(logger, topic, redis.Endpoint, ex.Message);
        }
    }

    /// <summary>Adds one to the topic's version in the database (one atomic update) and returns the new version.</summary>
    private async Task<long> BumpAsync(string topic)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.ChangeVersions.Where(v => v.Topic == topic).ExecuteUpdateAsync(s => s.SetProperty(v => v.Version, v => v.Version + 1));
        var version = await db.ChangeVersions.AsNoTracking().Where(v => v.Topic == topic).Select(v => v.Version).SingleAsync();

        // Our own change is already applied here, unless another instance changed the topic in between.
        if (_baseline && _applied.GetValueOrDefault(topic) == version - 1)
        {
            _applied.TryUpdate(topic, version, version - 1);
        }

        return version;
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
            await ApplyAsync(parts[1], Stored(parts[1]), version, CancellationToken.None);
        }
        catch (Exception ex) when (ex is System.Data.Common.DbException or RoutingConfigException or InvalidOperationException)
        {
            NotApplied(logger, parts[1], ex.Message);
        }
    }

    /// <summary>The database topic a notification belongs to: every cache purge counts under one.</summary>
    private static string Stored(string topic) => CachePurge.FromTopic(topic) is null ? topic : ChangeVersionEntity.Cache;

    /// <summary>Reloads what changed from the database, without announcing it again; then records <paramref name="version"/> as applied.</summary>
    private async Task ApplyAsync(string topic, string stored, long version, CancellationToken cancellationToken)
    {
        await _apply.WaitAsync(cancellationToken);
        Applying.Value = true;
        try
        {
            Interlocked.Increment(ref _reloads);
            if (topic is ChangeVersionEntity.Routing)
            {
                await publisher.ReloadAsync(cancellationToken);
            }

            if (topic is ChangeVersionEntity.Keys)
            {
                await keys.ReloadAsync(cancellationToken);
            }

            if (topic is ChangeVersionEntity.Budgets)
            {
                await budgets.ApplyChangesAsync(cancellationToken);
            }

            var applied = _applied.GetValueOrDefault(stored);
            if (CachePurge.FromTopic(topic) is { } purge)
            {
                // Through the local store too: an entry stored here and not yet written is deleted after it is.
                cache.Purge(purge.Selects);

                // One purge says nothing of another whose message was lost.
                if (version == applied + 1)
                {
                    _applied[stored] = version;
                }
            }
            else
            {
                if (topic is ChangeVersionEntity.Cache)
                {
                    await cacheStore.ReconcileAsync(cache, cancellationToken);
                    await cachePolicies.LoadAsync(cancellationToken);
                }

                // A reload reads every change whose version was bumped before it started.
                if (version > applied)
                {
                    _applied[stored] = version;
                }
            }
        }
        finally
        {
            Applying.Value = false;
            _apply.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Change notifications from other instances are not received: Redis at {Endpoint} is unreachable ({Error}). Trying again.")]
    private static partial void NotListening(ILogger logger, string endpoint, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The change to {Topic} could not be announced to the other instances: Redis at {Endpoint} is unreachable ({Error}). The other instances pick it up from the database within CostConsole:Redis:VersionPollSeconds.")]
    private static partial void NotAnnounced(ILogger logger, string topic, string endpoint, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The change to {Topic} could not be recorded in the database, so instances that miss its notification will not see it until it changes again: {Error}")]
    private static partial void NotRecorded(ILogger logger, string topic, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The versions of the shared configuration could not be read from the database ({Error}). Trying again.")]
    private static partial void NotPolled(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "A change to {Topic} made on another instance could not be applied here: {Error}")]
    private static partial void NotApplied(ILogger logger, string topic, string error);
}
