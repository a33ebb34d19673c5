using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace CostConsole.Web.Tests.Scale;

/// <summary>
/// One instance of a cluster: the whole app on its own loopback port and its own data folder (so its own local key
/// ring), over the cluster's one database file and one Redis.
/// </summary>
public sealed class ClusterHost(string databaseFile, RedisServer redis, Dictionary<string, string?>? settings = null)
    : CostConsoleFactory(Settings(databaseFile, redis, settings))
{
    private static Dictionary<string, string?> Settings(string databaseFile, RedisServer redis, Dictionary<string, string?>? extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["CostConsole:ConnectionString"] = new SqliteConnectionStringBuilder { DataSource = databaseFile, DefaultTimeout = 30 }.ToString(),
            ["CostConsole:Redis:Configuration"] = redis.Configuration,
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return settings;
    }
}

/// <summary>Two or more instances started one after the other (the first one creates the database) over one database file and one Redis.</summary>
public sealed class Cluster : IAsyncDisposable
{

    private Cluster(IReadOnlyList<ClusterHost> hosts) => Hosts = hosts;

    public IReadOnlyList<ClusterHost> Hosts { get; }

    public ClusterHost A => Hosts[0];

    public ClusterHost B => Hosts[1];

    public static Task<Cluster> StartAsync(RedisServer redis, int instances = 2, Dictionary<string, string?>? settings = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "costconsole-cluster", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var database = Path.Combine(folder, "costconsole.db");
        var hosts = new List<ClusterHost>();
        for (var i = 0; i < instances; i++)
        {
            var host = new ClusterHost(database, redis, settings);
            _ = host.BaseAddress;
            hosts.Add(host);
        }

        return Task.FromResult(new Cluster(hosts) { Folder = folder });
    }

    private string Folder { get; init; } = "";

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Hosts)
        {
            await host.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
