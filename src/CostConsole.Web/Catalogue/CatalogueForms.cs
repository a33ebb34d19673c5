using CostConsole.Routing.Catalogue;

namespace CostConsole.Web.Catalogue;

/// <summary>What the provider form edits. The API key is write-only: empty keeps the stored one.</summary>
public sealed class ProviderForm
{
    public long? Id { get; set; }

    public string Name { get; set; } = "";

    public string BaseUrl { get; set; } = "";

    public string? NewApiKey { get; set; }

    public bool ClearApiKey { get; set; }

    public double TimeoutSeconds { get; set; } = 60;

    public int MaxRetries { get; set; } = 2;

    public double CircuitBreakSeconds { get; set; } = 30;

    /// <summary>Approved to receive personal data (self-hosted, or under a data-processing agreement).</summary>
    public bool MayReceivePersonalData { get; set; }

    /// <summary>The provider offers OpenAI's batch interface: batch lines for its models go there as one upstream batch.</summary>
    public bool HasBatchApi { get; set; }

    /// <summary>The API the provider speaks: <c>chat</c> or <c>anthropic</c>.</summary>
    public string Protocol { get; set; } = ProviderProtocols.Chat;

    /// <summary>The provider speaks the Responses API itself: Responses requests are passed through to it.</summary>
    public bool SpeaksResponses { get; set; }

    /// <summary>The provider speaks Anthropic Messages itself (always so when <see cref="Protocol"/> is <c>anthropic</c>).</summary>
    public bool SpeaksMessages { get; set; }

    /// <summary>The native APIs ticked, by name, as configuration lists them.</summary>
    public IReadOnlyList<string> NativeApiNames =>
        [.. SpeaksResponses ? [CostConsole.Routing.Catalogue.NativeApiNames.Responses] : Array.Empty<string>(), .. SpeaksMessages ? [CostConsole.Routing.Catalogue.NativeApiNames.Messages] : Array.Empty<string>()];

    public Guid ConcurrencyStamp { get; set; }
}

public sealed class ModelForm
{
    public long? Id { get; set; }

    public string Provider { get; set; } = "";

    public string ModelId { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public string Tier { get; set; } = "";

    public long? ContextWindow { get; set; }

    public bool Tools { get; set; }

    public bool Vision { get; set; }

    public bool JsonSchema { get; set; }

    public bool Logprobs { get; set; }

    public bool Enabled { get; set; } = true;

    /// <summary>Chat (tiers, rules, escalation) or embeddings (<c>/v1/embeddings</c>).</summary>
    public ModelKind Kind { get; set; } = ModelKind.Chat;

    public Guid ConcurrencyStamp { get; set; }

    /// <summary>For a new model: its first price, in force from now.</summary>
    public PriceForm? InitialPrice { get; set; }

    public ModelCapabilities Capabilities =>
        (Tools ? ModelCapabilities.Tools : 0) | (Vision ? ModelCapabilities.Vision : 0) |
        (JsonSchema ? ModelCapabilities.JsonSchema : 0) | (Logprobs ? ModelCapabilities.Logprobs : 0);
}

/// <summary>A new price version, USD per one million tokens.</summary>
public sealed class PriceForm
{
    public long ModelId { get; set; }

    public decimal? InputPerMillion { get; set; }

    public decimal? CachedInputPerMillion { get; set; }

    /// <summary>The price of prompt tokens written to the provider's prompt cache (Anthropic's cache creation); empty bills them as input.</summary>
    public decimal? CacheWritePerMillion { get; set; }

    public decimal? OutputPerMillion { get; set; }

    /// <summary>Batch discount as a fraction (0.5 = half price).</summary>
    public decimal? BatchDiscount { get; set; }

    /// <summary>When the version takes effect; empty means now.</summary>
    public DateTimeOffset? EffectiveFrom { get; set; }

    public string? Note { get; set; }
}

public sealed record ProviderView(long Id, string Name, string BaseUrl, bool HasApiKey, double TimeoutSeconds, int ModelCount, bool FromConfiguration, Guid ConcurrencyStamp)
{
    public int MaxRetries { get; init; } = 2;

    public double CircuitBreakSeconds { get; init; } = 30;

    public bool MayReceivePersonalData { get; init; }

    public bool HasBatchApi { get; init; }

    public string Protocol { get; init; } = ProviderProtocols.Chat;

    /// <summary>The client APIs passed through to it, comma-separated as stored.</summary>
    public string NativeApis { get; init; } = "";

    public NativeApis Native => CostConsole.Routing.Catalogue.NativeApiNames.Parse(NativeApis, ProviderProtocols.TryParse(Protocol, out var protocol) ? protocol : ProviderProtocol.Chat);
}

public sealed record ModelView(
    long Id,
    string Provider,
    string ModelId,
    string DisplayName,
    string Tier,
    long? ContextWindow,
    ModelCapabilities Capabilities,
    bool Enabled,
    decimal? InputPerMillion,
    decimal? CachedInputPerMillion,
    decimal? OutputPerMillion,
    DateTimeOffset? PriceSince,
    int PriceVersions,
    Guid ConcurrencyStamp)
{
    public ModelKind Kind { get; init; }
}

public sealed record PriceVersionView(long Id, DateTimeOffset EffectiveFrom, decimal InputPerMillion, decimal? CachedInputPerMillion, decimal OutputPerMillion, decimal? BatchDiscount, string? Author, string? Note, bool InForce, bool Scheduled)
{
    public decimal? CacheWritePerMillion { get; init; }
}

/// <summary>The outcome of a catalogue change: saved, refused with messages per field, or a conflict.</summary>
public sealed record CatalogueResult(bool Saved, IReadOnlyDictionary<string, string[]> Errors, string? Conflict = null, long? Id = null)
{
    public static CatalogueResult Ok(long id) => new(true, new Dictionary<string, string[]>(), null, id);

    public static CatalogueResult Invalid(string field, string message) => new(false, new Dictionary<string, string[]> { [field] = [message] });

    public static CatalogueResult Invalid(IReadOnlyDictionary<string, string[]> errors) => new(false, errors);

    public static CatalogueResult Conflicted(string message) => new(false, new Dictionary<string, string[]>(), message);

    public string Summary => Conflict ?? string.Join(" ", Errors.SelectMany(e => e.Value));
}
