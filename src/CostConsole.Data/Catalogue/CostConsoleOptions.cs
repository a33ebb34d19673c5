using CostConsole.Data.Ledger;

namespace CostConsole.Data.Catalogue;

/// <summary>The <c>CostConsole</c> configuration section.</summary>
public sealed class CostConsoleOptions
{
    public const string Section = "CostConsole";

    /// <summary>Where the database and the Data Protection key ring live; relative to the content root.</summary>
    public string DataFolder { get; set; } = "data";

    /// <summary>Overrides the SQLite connection string (default: costconsole.db in the data folder).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Which database holds the data: SQLite (default) or PostgreSQL, for several instances.</summary>
    public Database.DatabaseOptions Database { get; set; } = new();

    /// <summary>An API key accepted by /v1, created at start (development).</summary>
    public string? DevApiKey { get; set; }

    /// <summary>Store prompt text in the ledger; otherwise only its SHA-256.</summary>
    public bool StorePrompts { get; set; }

    /// <summary>Personal data: how prompts are stored, for how long, and the admin's own patterns.</summary>
    public PrivacyOptions Privacy { get; set; } = new();

    /// <summary>Tier names from the cheapest to the most capable; seeded once.</summary>
    public List<string>? Tiers { get; set; }

    /// <summary>The model baseline cost is priced at (model id or provider/id); default: the most expensive model of the top tier.</summary>
    public string? BaselineModel { get; set; }

    public int RegexTimeoutMilliseconds { get; set; } = 25;

    /// <summary>Largest accepted request body; larger ones get 413.</summary>
    public long MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    public CatalogueOptions Catalogue { get; set; } = new();

    public LedgerOptions Ledger { get; set; } = new();

    public IReadOnlyList<string> TierNames => Tiers is { Count: > 0 } tiers ? tiers : ["small", "medium", "large"];
}

/// <summary>Providers, models and prices declared in configuration, so a deployment needs no clicking.</summary>
public sealed class CatalogueOptions
{
    public List<ProviderOptions> Providers { get; set; } = [];

    public List<ModelOptions> Models { get; set; } = [];

    /// <summary>The default tier mapping: tier → models in fallback order. Applied only when none exists.</summary>
    public Dictionary<string, List<string>> TierMapping { get; set; } = [];
}

/// <summary>The <c>CostConsole:Privacy</c> section.</summary>
public sealed class PrivacyOptions
{
    /// <summary>
    /// The default prompt storage for keys without their own: <c>none</c>, <c>redacted</c> or <c>full</c>. Unset, it is
    /// <c>redacted</c> when <see cref="CostConsoleOptions.StorePrompts"/> is on and <c>none</c> otherwise.
    /// </summary>
    public CostConsole.Routing.Privacy.PromptStorage? PromptStorage { get; set; }

    /// <summary>Stored prompts older than this many days are deleted (their ledger rows, costs and tokens stay); 0 keeps them.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>The admin's own kinds of personal data, each with a test string it must match.</summary>
    public List<PersonalDataPatternOptions> Patterns { get; set; } = [];

    /// <summary>
    /// Prompt storage per team (<c>CostConsole:Privacy:Teams:&lt;team&gt;</c> = <c>none</c>, <c>redacted</c> or <c>full</c>): the
    /// policy of the team's keys that have none of their own, before the global default.
    /// </summary>
    public Dictionary<string, CostConsole.Routing.Privacy.PromptStorage> Teams { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The storage for a key with policy <paramref name="keyPolicy"/> (null: its team's, else the default).</summary>
    public CostConsole.Routing.Privacy.PromptStorage For(CostConsole.Routing.Privacy.PromptStorage? keyPolicy, bool storePrompts, string? team = null) =>
        keyPolicy ?? TeamPolicy(team) ?? PromptStorage ?? (storePrompts ? CostConsole.Routing.Privacy.PromptStorage.Redacted : CostConsole.Routing.Privacy.PromptStorage.None);

    /// <summary>The team's own policy, or null when it has none.</summary>
    public CostConsole.Routing.Privacy.PromptStorage? TeamPolicy(string? team) =>
        team is not null && Teams.TryGetValue(team, out var policy) ? policy : null;
}

public sealed class PersonalDataPatternOptions
{
    public string Name { get; set; } = "";

    public string Pattern { get; set; } = "";

    /// <summary>An example the pattern must match; the pattern is refused otherwise.</summary>
    public string Test { get; set; } = "";
}

public sealed class ProviderOptions
{
    public string Name { get; set; } = "";

    public string BaseUrl { get; set; } = "";

    public string? ApiKey { get; set; }

    public double TimeoutSeconds { get; set; } = 60;

    /// <summary>Retries of a call after a 429, 5xx or broken connection, before the next model is tried.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>How long a model of this provider is skipped after repeated failures, before it is probed again.</summary>
    public double CircuitBreakSeconds { get; set; } = 30;

    /// <summary>Approved to receive personal data (self-hosted, or under a data-processing agreement).</summary>
    public bool MayReceivePersonalData { get; set; }

    /// <summary>The API the provider speaks: <c>chat</c> (chat completions, the default) or <c>anthropic</c> (Anthropic Messages).</summary>
    public string Protocol { get; set; } = "chat";

    /// <summary>The provider offers OpenAI's batch interface (<c>/files</c> and <c>/batches</c>); batch lines for its models are sent there as one upstream batch.</summary>
    public bool HasBatchApi { get; set; }

    /// <summary>
    /// The client APIs the provider speaks itself, any of <c>chat</c>, <c>responses</c>, <c>messages</c>: a Responses or
    /// Messages request routed to it is passed through (only the model changed) instead of translated to chat completions.
    /// </summary>
    public List<string> NativeApis { get; set; } = [];
}

public sealed class ModelOptions
{
    public string Id { get; set; } = "";

    public string Provider { get; set; } = "";

    public string? DisplayName { get; set; }

    public string Tier { get; set; } = "";

    public long? ContextWindow { get; set; }

    /// <summary>Any of: tools, vision, json_schema, logprobs.</summary>
    public List<string> Capabilities { get; set; } = [];

    /// <summary><c>chat</c> (the default) or <c>embedding</c>: an embeddings model serves <c>/v1/embeddings</c>, priced per input token, and is never mapped to a chat tier.</summary>
    public string Kind { get; set; } = "chat";

    public bool Enabled { get; set; } = true;

    public decimal? InputPerMillion { get; set; }

    public decimal? CachedInputPerMillion { get; set; }

    /// <summary>USD per 1M prompt tokens written to the provider's prompt cache; empty: billed as input.</summary>
    public decimal? CacheWritePerMillion { get; set; }

    public decimal? OutputPerMillion { get; set; }

    /// <summary>What the provider's batch interface takes off, as a fraction (0.5 = half price); batch lines are billed at it.</summary>
    public decimal? BatchDiscount { get; set; }
}
