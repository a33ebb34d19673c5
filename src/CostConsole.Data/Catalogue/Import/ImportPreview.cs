namespace CostConsole.Data.Catalogue.Import;

/// <summary>What to import from a price map, into which of our providers, and from when its prices apply.</summary>
public sealed record ImportOptions
{
    /// <summary>
    /// One of our providers: the endpoint the imported models are called through, e.g. <c>openai</c> or a LiteLLM proxy.
    /// Each entry's key becomes the model id under it.
    /// </summary>
    public required string TargetProvider { get; init; }

    /// <summary>The <c>litellm_provider</c> values to include; empty includes every provider.</summary>
    public IReadOnlyCollection<string> Providers { get; init; } = [];

    /// <summary>The modes to include; empty includes every entry, with or without a mode.</summary>
    public IReadOnlyCollection<string> Modes { get; init; } = ["chat"];

    /// <summary>When new price versions take effect; <c>null</c> means the moment of the preview.</summary>
    public DateTimeOffset? EffectiveFrom { get; init; }

    /// <summary>Who is importing, recorded on each price version written.</summary>
    public string? Author { get; init; }
}

public enum ImportStatus
{
    /// <summary>No model with this id under the target provider: it is added, with its price.</summary>
    New,

    /// <summary>The model exists and the map's price differs from the one in force: a new price version is added.</summary>
    PriceChanged,

    /// <summary>The model exists at the map's price: nothing is written.</summary>
    Unchanged,

    /// <summary>
    /// The map lacks the input or the output price. A missing model is added disabled and without a price, so it is
    /// never billed at zero; an existing model is left as it is.
    /// </summary>
    Unpriced,
}

/// <summary>A price in USD per 1M tokens.</summary>
public sealed record ImportPrice(decimal InputPerMillion, decimal? CachedInputPerMillion, decimal OutputPerMillion, decimal? CacheWritePerMillion = null);

/// <summary>One price map entry in a preview: what happens to it, and the prices before and after.</summary>
/// <param name="OldPrice">The model's price in force at the preview's effective moment, if it has one.</param>
/// <param name="NewModelTier">The tier a model added by this import goes in; <c>null</c> when the model already exists.</param>
/// <param name="ManualPrice">The price in force was entered by hand (not by an import), so changing it overwrites someone's decision.</param>
/// <param name="TierReason">Why a new model goes in <paramref name="NewModelTier"/>, in a sentence.</param>
public sealed record ImportLine(PriceMapEntry Entry, ImportStatus Status, ImportPrice? OldPrice, string? NewModelTier, bool ManualPrice = false, string? TierReason = null)
{
    public string Key => Entry.Key;

    public long? ContextWindow => Entry.ContextWindow;

    /// <summary>The map's price, when it has both an input and an output price.</summary>
    public ImportPrice? NewPrice => Entry is { InputPerMillion: { } input, OutputPerMillion: { } output }
        ? new ImportPrice(input, Entry.CachedInputPerMillion, output, Entry.CacheWritePerMillion)
        : null;

    public bool AddsModel => NewModelTier is not null;

    /// <summary>Applying this line writes something: a model, a price version, or both.</summary>
    public bool Writes => Status is ImportStatus.New or ImportStatus.PriceChanged || (Status == ImportStatus.Unpriced && AddsModel);

    /// <summary>The map marks the model deprecated on or before <paramref name="today"/>.</summary>
    public bool DeprecatedOn(DateOnly today) => Entry.DeprecationDate is { } date && date <= today;
}

/// <summary>What an import would do, line by line; nothing has been written yet.</summary>
/// <param name="EffectiveFrom">The moment new price versions take effect, in UTC, to the millisecond the database keeps.</param>
public sealed record ImportPreview(string TargetProvider, DateTimeOffset EffectiveFrom, string? Author, IReadOnlyList<ImportLine> Lines)
{
    public int CountOf(ImportStatus status) => Lines.Count(l => l.Status == status);
}

/// <summary>What an applied import wrote: models added, models given a new price version, and the rest.</summary>
public sealed record ImportResult(int Added, int Repriced, int Unchanged, int Unpriced);
