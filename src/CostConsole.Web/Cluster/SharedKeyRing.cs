using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;

namespace CostConsole.Web.Cluster;

/// <summary>
/// The Data Protection key ring in Redis, so that a cookie, an antiforgery token or a provider key protected by one
/// instance opens on every other. Keys an installation made before Redis was turned on (in the data folder's
/// <c>keys</c>) are copied into Redis the first time they are read, so the provider keys it stored stay readable on
/// every instance. While Redis is unreachable this instance reads its own copies.
/// </summary>
internal sealed class SharedKeyRing(RedisStore redis, IXmlRepository local) : IXmlRepository
{
    private readonly RedisXmlRepository _shared = new(() => redis.Database, redis.Key("data-protection-keys"));

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        var own = local.GetAllElements();
        List<XElement> shared;
        try
        {
            shared = [.. _shared.GetAllElements()];
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            return own;
        }

        var known = shared.Select(Id).ToHashSet(StringComparer.Ordinal);
        foreach (var element in own)
        {
            if (Id(element) is { } id && known.Add(id))
            {
                _shared.StoreElement(element, id);
                shared.Add(element);
            }
        }

        // Two instances may have copied the same key at once: keep one of each.
        return [.. shared.GroupBy(e => Id(e) ?? e.ToString()).Select(g => g.First())];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        // Kept beside the database too, so this instance can still read what it protected while Redis is away; a key
        // made while Redis is away reaches Redis the next time the ring is read.
        local.StoreElement(element, friendlyName);
        try
        {
            _shared.StoreElement(element, friendlyName);
        }
        catch (Exception ex) when (RedisStore.IsUnreachable(ex))
        {
            // Copied by GetAllElements once Redis is back.
        }
    }

    private static string? Id(XElement element) => element.Attribute("id")?.Value;
}
