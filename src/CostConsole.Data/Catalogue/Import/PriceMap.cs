using CostConsole.Routing.Catalogue;

namespace CostConsole.Data.Catalogue.Import;

/// <summary>
/// One model entry of a LiteLLM price map. Prices are USD per 1M tokens; every value the map leaves out
/// or writes in a form that cannot be read is <c>null</c> (unknown), never zero.
/// </summary>
/// <param name="Key">The map's top-level key, e.g. <c>gpt-4.1-nano</c> or <c>bedrock/us-east-1/…</c>.</param>
/// <param name="Provider">LiteLLM's name for who serves it (<c>litellm_provider</c>).</param>
/// <param name="Mode">What kind of model it is (<c>chat</c>, <c>embedding</c>, …), when the map says.</param>
public sealed record PriceMapEntry(
    string Key,
    string Provider,
    string? Mode,
    decimal? InputPerMillion,
    decimal? OutputPerMillion,
    decimal? CachedInputPerMillion,
    long? ContextWindow,
    ModelCapabilities Capabilities,
    DateOnly? DeprecationDate,
    decimal? CacheWritePerMillion = null)
{
    /// <summary>Both the input and the output price are known, so the model can be priced.</summary>
    public bool IsPriced => InputPerMillion is not null && OutputPerMillion is not null;
}

/// <summary>A value a UI can offer as a filter, with how many entries have it.</summary>
public sealed record PriceMapFacet(string Name, int Count);

/// <summary>A parsed price map: its model entries in file order, and the providers and modes they use.</summary>
public sealed class PriceMap
{
    public PriceMap(IEnumerable<PriceMapEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Entries = [.. entries];

        // The importer uses the key as the model id, so two entries with one key would be two models with one id.
        var duplicate = Entries.GroupBy(e => e.Key, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new ArgumentException($"The price map has more than one entry with the key '{duplicate.Key}'.", nameof(entries));
        }

        Providers = Facets(Entries.Select(e => e.Provider));
        Modes = Facets(Entries.Select(e => e.Mode).OfType<string>());
    }

    public IReadOnlyList<PriceMapEntry> Entries { get; }

    /// <summary>The distinct <c>litellm_provider</c> values, by name.</summary>
    public IReadOnlyList<PriceMapFacet> Providers { get; }

    /// <summary>The distinct modes, by name; entries without a mode are not counted here.</summary>
    public IReadOnlyList<PriceMapFacet> Modes { get; }

    private static PriceMapFacet[] Facets(IEnumerable<string> values) =>
        [.. values
            .GroupBy(v => v, StringComparer.Ordinal)
            .Select(g => new PriceMapFacet(g.Key, g.Count()))
            .OrderBy(f => f.Name, StringComparer.Ordinal)];
}

/// <summary>The file cannot be read as a LiteLLM price map; the message says what is wrong with it.</summary>
public sealed class PriceMapFormatException : FormatException
{
    public PriceMapFormatException(string message)
        : base(message)
    {
    }

    public PriceMapFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
