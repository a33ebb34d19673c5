using CostConsole.Web.Extensions;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using StackExchange.Redis;

namespace CostConsole.Web.Cluster;

internal static class ClusterExtensions
{
    /// <summary>
    /// With <c>CostConsole:Redis:Configuration</c> set, shares what several instances must agree on through Redis;
    /// without it, changes nothing.
    /// </summary>
    public static WebApplicationBuilder AddRedis(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<RedisOptions>().BindConfiguration(RedisOptions.Section)
            .Validate(o => !o.Enabled || o.ReconcileSeconds is > 0 and <= 3600, "CostConsole:Redis:ReconcileSeconds must be more than 0 and at most 3600.")
            .Validate(o => !o.Enabled || o.VersionPollSeconds is > 0 and <= 3600, "CostConsole:Redis:VersionPollSeconds must be more than 0 and at most 3600.")
            .Validate(o => !o.Enabled || o.TimeoutMilliseconds is >= 50 and <= 60_000, "CostConsole:Redis:TimeoutMilliseconds must be between 50 and 60000.")
            .Validate(o => !o.Enabled || Parses(o.Configuration!), "CostConsole:Redis:Configuration is not a valid StackExchange.Redis configuration string (e.g. 'localhost:6379').")
            .ValidateOnStart();

        var options = builder.Configuration.GetSection(RedisOptions.Section).Get<RedisOptions>() ?? new RedisOptions();
        if (!options.Enabled || !Parses(options.Configuration!))
        {
            return builder;
        }

        var redis = new RedisStore(options);
        services.AddSingleton(_ => redis);
        services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis");

        // Budgets hold across instances: reservations and settlements are atomic scripts on shared counters.
        services.AddSingleton<SharedBudgets>();
        services.AddHostedService<BudgetReconciler>();

        // A change on one instance reaches every other's routing snapshot, keys and budgets.
        services.AddSingleton<ClusterChanges>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterChanges>());

        // Cookies, antiforgery tokens and protected provider keys made by one instance must open on every other.
        // The key ring of an installation that ran without Redis is carried over (see SharedKeyRing).
        services.AddOptions<KeyManagementOptions>().Configure<DataLocation, ILoggerFactory>((o, location, logs) =>
            o.XmlRepository = new SharedKeyRing(redis, new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(location.Folder, "keys")), logs)));

        // The live dashboard on any instance shows the ticks of all of them; hub clients get them through the backplane.
        services.AddHostedService<ClusterTicks>();
        services.AddSignalR().AddStackExchangeRedis(o =>
        {
            o.Configuration.ChannelPrefix = RedisChannel.Literal(options.KeyPrefix + "signalr:");
            o.ConnectionFactory = _ => Task.FromResult<IConnectionMultiplexer>(redis.Connection);
        });
        return builder;
    }

    private static bool Parses(string configuration)
    {
        try
        {
            return ConfigurationOptions.Parse(configuration).EndPoints.Count > 0;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
