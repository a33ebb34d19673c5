using System.Globalization;
using CostConsole.Data.Entities;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Data.Catalogue.Import;

/// <summary>
/// Imports models and prices from a LiteLLM price map into one of our providers: first a preview that writes
/// nothing, then, once someone has looked at it, an apply that writes exactly that preview in one transaction.
/// Prices are effective-dated, so a changed price becomes a new version and the old one stays in the history.
/// </summary>
public sealed class CatalogueImporter(TimeProvider timeProvider)
{
    public const string PriceNote = "imported from LiteLLM price map";

    /// <exception cref="ArgumentException">The target provider does not exist.</exception>
    public async Task<ImportPreview> PreviewAsync(CostConsoleDbContext db, PriceMap map, ImportOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(options);

        var provider = await FindProviderAsync(db, options.TargetProvider, nameof(options), cancellationToken);
        var tiers = await db.Tiers.AsNoTracking().OrderBy(t => t.Position).Select(t => t.Name).ToListAsync(cancellationToken);
        var models = await ModelsOfAsync(db.Models.AsNoTracking(), provider.Id, cancellationToken);

        // The database keeps times as Unix milliseconds; rounding here makes "a version at exactly this moment" mean the same before and after a save.
        var effectiveFrom = DateTimeOffset.FromUnixTimeMilliseconds((options.EffectiveFrom ?? timeProvider.GetUtcNow()).ToUnixTimeMilliseconds());
        var providers = options.Providers.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var modes = options.Modes.ToHashSet(StringComparer.OrdinalIgnoreCase);

        var lines = new List<ImportLine>();
        foreach (var entry in map.Entries)
        {
            if ((providers.Count > 0 && !providers.Contains(entry.Provider)) || (modes.Count > 0 && (entry.Mode is null || !modes.Contains(entry.Mode))))
            {
                continue;
            }

            var model = models.GetValueOrDefault(entry.Key);
            var (status, oldPrice) = Compare(entry, model, effectiveFrom);
            var inForce = model?.Prices.Where(p => p.EffectiveFrom <= effectiveFrom).MaxBy(p => p.EffectiveFrom);
            var tier = model is null ? TierFor(entry.InputPerMillion, tiers) : null;
            lines.Add(new ImportLine(
                entry,
                status,
                oldPrice,
                tier,
                ManualPrice: inForce is not null && inForce.Note != PriceNote,
                TierReason: tier is null ? null : TierReasonFor(entry.InputPerMillion, tier, tiers)));
        }

        return new ImportPreview(provider.Name, effectiveFrom, options.Author, lines);
    }

    /// <summary>
    /// Writes the preview in one transaction: all of it or, if anything fails, none of it. The catalogue is compared
    /// with the preview again inside the transaction, so a change made since the preview is not silently overwritten.
    /// </summary>
    /// <exception cref="InvalidOperationException">The catalogue changed since the preview, or the database refused a write; nothing was written.</exception>
    /// <param name="beforeCommit">Runs inside the transaction after the writes; throwing from it rolls the import back.</param>
    public async Task<ImportResult> ApplyAsync(
        CostConsoleDbContext db,
        ImportPreview preview,
        CancellationToken cancellationToken = default,
        Func<CostConsoleDbContext, CancellationToken, Task>? beforeCommit = null)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(preview);

        var now = timeProvider.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        try
        {
            var provider = await FindProviderAsync(db, preview.TargetProvider, nameof(preview), cancellationToken);
            var models = await ModelsOfAsync(db.Models, provider.Id, cancellationToken);

            foreach (var line in preview.Lines)
            {
                var model = models.GetValueOrDefault(line.Key);
                var (status, oldPrice) = Compare(line.Entry, model, preview.EffectiveFrom);
                if (status != line.Status || oldPrice != line.OldPrice || (model is null) != line.AddsModel)
                {
                    throw new InvalidOperationException(
                        $"The catalogue changed since the preview: '{line.Key}' under '{provider.Name}' was {Describe(!line.AddsModel, line.OldPrice)} and is now {Describe(model is not null, oldPrice)}. Preview the import again.");
                }

                if (model is null)
                {
                    model = AddModel(db, provider.Id, line, now);
                    models[line.Key] = model;
                }

                if (status is ImportStatus.New or ImportStatus.PriceChanged)
                {
                    SetPrice(model, line.NewPrice!, preview, now);
                }
            }

            await db.SaveChangesAsync(cancellationToken);
            if (beforeCommit is not null)
            {
                await beforeCommit(db, cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            // Disposing the uncommitted transaction rolls the database back; the context must forget the failed
            // writes too, or its next save would try them again outside any import.
            db.ChangeTracker.Clear();
            if (ex is DbUpdateException)
            {
                throw new InvalidOperationException($"The import was rolled back and nothing was written: {ex.GetBaseException().Message}", ex);
            }

            throw;
        }

        return new ImportResult(
            preview.CountOf(ImportStatus.New),
            preview.CountOf(ImportStatus.PriceChanged),
            preview.CountOf(ImportStatus.Unchanged),
            preview.CountOf(ImportStatus.Unpriced));
    }

    private static (ImportStatus Status, ImportPrice? OldPrice) Compare(PriceMapEntry entry, ModelEntity? model, DateTimeOffset effectiveFrom)
    {
        var oldPrice = model?.Prices.Where(p => p.EffectiveFrom <= effectiveFrom).MaxBy(p => p.EffectiveFrom) is { } inForce
            ? new ImportPrice(inForce.InputPerMillion, inForce.CachedInputPerMillion, inForce.OutputPerMillion, inForce.CacheWritePerMillion)
            : null;
        if (entry is not { InputPerMillion: { } input, OutputPerMillion: { } output })
        {
            return (ImportStatus.Unpriced, oldPrice);
        }

        if (model is null)
        {
            return (ImportStatus.New, null);
        }

        // Record equality compares decimals by value, so 0.1 and 0.1000000 are the same price.
        return (oldPrice == new ImportPrice(input, entry.CachedInputPerMillion, output, entry.CacheWritePerMillion) ? ImportStatus.Unchanged : ImportStatus.PriceChanged, oldPrice);
    }

    /// <summary>
    /// A first guess at the tier of a new model, from its input price per 1M tokens among the tiers ordered
    /// cheapest first: below $0.50 the first tier, below $3.00 the middle one, otherwise the last. An unknown
    /// price is not assumed cheap, so it goes in the last tier. The admin moves models between tiers afterwards.
    /// </summary>
    private static string TierFor(decimal? inputPerMillion, List<string> tiers)
    {
        if (tiers.Count == 0)
        {
            throw new InvalidOperationException("There are no tiers to put new models in. Add tiers before importing models.");
        }

        return inputPerMillion switch
        {
            < 0.50m => tiers[0],
            < 3.00m => tiers[tiers.Count / 2],
            _ => tiers[^1],
        };
    }

    /// <summary>The rule of <see cref="TierFor"/> applied to one model, in words.</summary>
    private static string TierReasonFor(decimal? inputPerMillion, string tier, List<string> tiers)
    {
        var cheapest = tiers[0];
        var largest = tiers[^1];
        return inputPerMillion switch
        {
            null => $"No input price in the map, so it is not assumed cheap: the largest tier, '{largest}'.",
            < 0.50m => string.Create(CultureInfo.InvariantCulture, $"Input ${inputPerMillion:0.00##} per 1M tokens is under $0.50: the cheapest tier, '{cheapest}'."),
            < 3.00m => string.Create(CultureInfo.InvariantCulture, $"Input ${inputPerMillion:0.00##} per 1M tokens is from $0.50 to under $3.00: the middle tier, '{tier}'."),
            _ => string.Create(CultureInfo.InvariantCulture, $"Input ${inputPerMillion:0.00##} per 1M tokens is $3.00 or more: the largest tier, '{largest}'."),
        };
    }

    private static ModelEntity AddModel(CostConsoleDbContext db, long providerId, ImportLine line, DateTimeOffset now)
    {
        var model = new ModelEntity
        {
            ProviderId = providerId,
            ModelId = line.Key,
            DisplayName = line.Key,
            Tier = line.NewModelTier!,
            ContextWindow = line.Entry.ContextWindow,
            Capabilities = (int)line.Entry.Capabilities,
            Kind = (int)CostConsole.Routing.Catalogue.ModelKinds.Parse(line.Entry.Mode),

            // A model without a price stays out of routing until someone prices it.
            Enabled = line.NewPrice is not null,
            UpdatedAt = now,
        };
        db.Models.Add(model);
        return model;
    }

    private static void SetPrice(ModelEntity model, ImportPrice price, ImportPreview preview, DateTimeOffset now)
    {
        // A version already at this exact moment (say, an import earlier with the same effective time) is
        // corrected in place: the unique (model, effective from) index allows only one.
        var version = model.Prices.FirstOrDefault(p => p.EffectiveFrom == preview.EffectiveFrom);
        if (version is null)
        {
            version = new ModelPriceEntity
            {
                EffectiveFrom = preview.EffectiveFrom,

                // The map says nothing about batch discounts, so the one set by hand carries over.
                BatchDiscount = model.Prices.Where(p => p.EffectiveFrom <= preview.EffectiveFrom).MaxBy(p => p.EffectiveFrom)?.BatchDiscount,
                CreatedAt = now,
            };
            model.Prices.Add(version);
        }

        version.InputPerMillion = price.InputPerMillion;
        version.CachedInputPerMillion = price.CachedInputPerMillion;
        version.CacheWritePerMillion = price.CacheWritePerMillion;
        version.OutputPerMillion = price.OutputPerMillion;
        version.Author = preview.Author;
        version.Note = PriceNote;
    }

    private static async Task<ProviderEntity> FindProviderAsync(CostConsoleDbContext db, string name, string paramName, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException("Choose the provider the imported models are called through.", paramName);
        }

        var providers = await db.Providers.AsNoTracking().ToListAsync(cancellationToken);
        return providers.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.Ordinal))
            ?? providers.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException(
                providers.Count == 0
                    ? $"There is no provider named '{name}'; there are no providers yet. Add the provider the models are called through first."
                    : $"There is no provider named '{name}'. Choose one of: {string.Join(", ", providers.Select(p => p.Name).Order(StringComparer.OrdinalIgnoreCase))}.",
                paramName);
    }

    private static async Task<Dictionary<string, ModelEntity>> ModelsOfAsync(IQueryable<ModelEntity> models, long providerId, CancellationToken cancellationToken) =>
        await models.Include(m => m.Prices).Where(m => m.ProviderId == providerId).ToDictionaryAsync(m => m.ModelId, StringComparer.Ordinal, cancellationToken);

    private static string Describe(bool inCatalogue, ImportPrice? price) =>
        !inCatalogue ? "not in the catalogue"
        : price is null ? "in the catalogue without a price"
        : string.Create(CultureInfo.InvariantCulture, $"priced at {price.InputPerMillion} input, {price.CachedInputPerMillion?.ToString(CultureInfo.InvariantCulture) ?? "no"} cached input, {price.OutputPerMillion} output USD per 1M tokens");
}
