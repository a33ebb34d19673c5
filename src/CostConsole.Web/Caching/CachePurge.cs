using System.Buffers.Text;
using System.Text;
using CostConsole.Data.Entities;
using CostConsole.Routing.Caching;

namespace CostConsole.Web.Caching;

public enum CachePurgeKind
{
    Entry,
    Namespace,
    Rule,
    All,

    /// <summary>Several entries by id, one per line of the value (an erasure's).</summary>
    Entries,
}

/// <summary>
/// What a purge removes, applied alike to this instance's entries, to the database (entries other instances stored
/// included) and, through the change notifications, to every other instance's entries.
/// </summary>
public sealed record CachePurge(CachePurgeKind Kind, string? Value = null)
{
    private const string TopicPrefix = "cache-purge:";

    public static CachePurge Everything { get; } = new(CachePurgeKind.All);

    private IReadOnlySet<string>? _ids;

    /// <summary>The purges that remove <paramref name="ids"/>, a bounded number of ids each so a notification stays small.</summary>
    public static IEnumerable<CachePurge> OfEntries(IEnumerable<string> ids) =>
        ids.Distinct(StringComparer.Ordinal).Chunk(200).Select(chunk => new CachePurge(CachePurgeKind.Entries, string.Join('\n', chunk)));

    private IReadOnlySet<string> Ids => _ids ??= (Value ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);

    public bool Selects(CacheEntry entry) => Kind switch
    {
        CachePurgeKind.Entry => entry.Id == Value,
        CachePurgeKind.Namespace => entry.Namespace == Value,
        CachePurgeKind.Rule => entry.Rule == Value,
        CachePurgeKind.Entries => Ids.Contains(entry.Id),
        _ => true,
    };

    internal IQueryable<CacheEntryEntity> Rows(IQueryable<CacheEntryEntity> rows)
    {
        var ids = Kind == CachePurgeKind.Entries ? Ids.ToList() : [];
        return Kind switch
        {
            CachePurgeKind.Entry => rows.Where(e => e.Id == Value),
            CachePurgeKind.Namespace => rows.Where(e => e.Namespace == Value),
            CachePurgeKind.Rule => rows.Where(e => e.Rule == Value),
            CachePurgeKind.Entries => rows.Where(e => ids.Contains(e.Id)),
            _ => rows,
        };
    }

    /// <summary>The change notification's topic: one word (no spaces), the value in base64url.</summary>
    public string Topic => TopicPrefix + Kind.ToString().ToLowerInvariant() + ":" + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(Value ?? ""));

    /// <summary>The purge a topic names, or null when it names something else or cannot be read.</summary>
    public static CachePurge? FromTopic(string topic)
    {
        if (!topic.StartsWith(TopicPrefix, StringComparison.Ordinal) || topic[TopicPrefix.Length..].Split(':') is not [var kind, var value]
            || !Enum.TryParse<CachePurgeKind>(kind, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
        {
            return null;
        }

        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(value));
            return new CachePurge(parsed, parsed == CachePurgeKind.All ? null : text);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
