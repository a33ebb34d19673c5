using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace CostConsole.Web.Cluster;

/// <summary>
/// This instance's one connection to the shared Redis: every key and channel under <see cref="RedisOptions.KeyPrefix"/>.
/// It connects in the background and reconnects by itself, so an instance starts (and serves what needs no Redis)
/// while Redis is down.
/// </summary>
public sealed class RedisStore : IAsyncDisposable
{
    private readonly Lazy<ConnectionMultiplexer> _connection;
    private string? _lastError;

    public RedisStore(RedisOptions options)
    {
        Options = options;
        var configuration = ConfigurationOptions.Parse(options.Configuration!);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = options.TimeoutMilliseconds;
        configuration.SyncTimeout = options.TimeoutMilliseconds;
        configuration.AsyncTimeout = options.TimeoutMilliseconds;
        configuration.ConnectRetry = 1;
        configuration.ClientName ??= "costconsole-" + Environment.MachineName;
        Endpoint = string.Join(", ", configuration.EndPoints.Select(e => e.ToString()));
        _connection = new Lazy<ConnectionMultiplexer>(() =>
        {
            var connection = ConnectionMultiplexer.Connect(configuration);
            connection.ConnectionFailed += (_, e) => _lastError = e.Exception?.Message ?? e.FailureType.ToString();
            connection.ConnectionRestored += (_, _) => _lastError = null;
            return connection;
        });
    }

    public RedisOptions Options { get; }

    /// <summary>Where Redis is, as the configuration names it (without the password).</summary>
    public string Endpoint { get; }

    /// <summary>Tells this instance's own notifications from the others'.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N");

    public ConnectionMultiplexer Connection => _connection.Value;

    public IDatabase Database => Connection.GetDatabase();

    public ISubscriber Subscriber => Connection.GetSubscriber();

    public bool IsConnected => Connection.IsConnected;

    /// <summary>Why the connection last failed, while it is down.</summary>
    public string? LastError => IsConnected ? null : _lastError ?? "not connected";

    public RedisKey Key(string name) => Options.KeyPrefix + name;

    public RedisChannel Channel(string name) => RedisChannel.Literal(Options.KeyPrefix + name);

    /// <summary>The error a person reads when Redis cannot be reached.</summary>
    public string Unreachable(Exception? error = null) =>
        $"the shared store (Redis at {Endpoint}) is unreachable ({error?.Message ?? LastError ?? "not connected"})";

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            await _connection.Value.DisposeAsync();
        }
    }

    /// <summary>True for the failures that mean Redis is down or too slow, as opposed to a bug.</summary>
    public static bool IsUnreachable(Exception error) => error is RedisConnectionException or RedisTimeoutException or ObjectDisposedException
        || (error is RedisServerException server && server.Message.StartsWith("LOADING", StringComparison.Ordinal));
}

/// <summary>Reports Redis as degraded (not unhealthy) while unreachable: requests under no budget are still served.</summary>
internal sealed class RedisHealthCheck(RedisStore redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var latency = await redis.Database.PingAsync();
            return HealthCheckResult.Healthy($"Redis at {redis.Endpoint} answers in {latency.TotalMilliseconds:0.#} ms.");
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            return HealthCheckResult.Degraded($"Redis at {redis.Endpoint} is unreachable: {ex.Message}. Requests under a budget are {(redis.Options.WhenUnavailable == RedisUnavailable.FailOpen ? "served and reconciled later" : "refused")} until it is back.");
        }
    }
}
