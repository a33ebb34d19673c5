using System.Globalization;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Embeddings;
using CostConsole.Web.Api;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CostConsole.Web.Caching;

internal static class CacheExtensions
{
    public const string Section = "CostConsole:Cache";

    /// <summary>
    /// The response cache (<c>CostConsole:Cache</c>, off unless <c>Enabled</c> is true), kept in the database, its
    /// maintenance, and the console's view of it. Settings with problems stop the start with the reason.
    /// </summary>
    public static WebApplicationBuilder AddResponseCache(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        var settings = builder.Configuration.GetSection(Section).Get<CacheSettings>() ?? new CacheSettings();
        if (settings.Problems() is { Count: > 0 } problems)
        {
            throw new InvalidOperationException($"{Section} has problems: {string.Join(" ", problems)}");
        }

        services.TryAddSingleton<CacheEntryStore>();
        services.TryAddSingleton(sp =>
        {
            var keys = sp.GetRequiredService<ApiKeyDirectory>();
            var cache = new ResponseCache(sp.GetRequiredService<CacheEntryStore>(), sp.GetRequiredService<TimeProvider>(), sp.GetService<IEmbedder>(), id => keys.Find(id)?.Team);
            cache.Apply(settings);
            return cache;
        });
        services.TryAddSingleton<CachePolicies>();
        services.AddHostedService<CacheMaintenance>();
        services.TryAddScoped<CacheService>();
        return builder;
    }

    /// <summary>Adds <c>x-costconsole-cache</c> (exact, semantic or miss) and, when there is one, the similarity.</summary>
    public static void SetCacheHeaders(HttpResponse response, CacheLookup? lookup)
    {
        if (lookup is null)
        {
            return;
        }

        response.Headers["x-costconsole-cache"] = lookup.Header;
        if (lookup.Similarity is { } similarity)
        {
            response.Headers["x-costconsole-cache-similarity"] = similarity.ToString("0.####", CultureInfo.InvariantCulture);
        }

        if (lookup.Entry is { } entry)
        {
            response.Headers["x-costconsole-cache-entry"] = entry.Id;
        }
    }
}
