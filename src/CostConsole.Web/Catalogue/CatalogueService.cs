using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Catalogue.Import;
using CostConsole.Data.Entities;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Providers;
using CostConsole.Web.Extensions;
using FluentValidation;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Catalogue;

/// <summary>
/// Reads and changes providers, models and prices. Every change is validated, guarded against concurrent
/// edits, and recompiled into a routing snapshot inside the same transaction: a change that would break
/// routing is refused and nothing is written; one that works is live for the next request.
/// </summary>
public sealed class CatalogueService(
    IDbContextFactory<CostConsoleDbContext> factory,
    ISecretProtector protector,
    RoutingCompiler compiler,
    RoutingState routing,
    ILocalServerAddress local,
    TimeProvider time)
{
    /// <summary>Clock skew allowed for "now" when a price's moment is checked.</summary>
    private static readonly TimeSpan PastTolerance = TimeSpan.FromMinutes(1);

    private readonly ProviderFormValidator _providerValidator = new();
    private readonly ModelFormValidator _modelValidator = new();
    private readonly PriceFormValidator _priceValidator = new();

    public async Task<IReadOnlyList<string>> TiersAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Tiers.AsNoTracking().OrderBy(t => t.Position).Select(t => t.Name).ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ProviderView>> ProvidersAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Providers.AsNoTracking()
            .OrderBy(p => p.Name)
            .Select(p => new ProviderView(p.Id, p.Name, p.BaseUrl, p.ProtectedApiKey != null, p.TimeoutSeconds, p.Models.Count, p.FromConfiguration, p.ConcurrencyStamp)
            {
                MaxRetries = p.MaxRetries,
                CircuitBreakSeconds = p.CircuitBreakSeconds,
                MayReceivePersonalData = p.MayReceivePersonalData,
                HasBatchApi = p.HasBatchApi,
                Protocol = p.Protocol,
                NativeApis = p.NativeApis,
            })
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ModelView>> ModelsAsync(CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var models = await db.Models.AsNoTracking().Include(m => m.Provider).Include(m => m.Prices).ToListAsync(cancellationToken);
        return [.. models
            .Select(m =>
            {
                var price = m.Prices.Where(p => p.EffectiveFrom <= now).MaxBy(p => p.EffectiveFrom);
                return new ModelView(
                    m.Id, m.Provider!.Name, m.ModelId, m.DisplayName, m.Tier, m.ContextWindow, (ModelCapabilities)m.Capabilities, m.Enabled,
                    price?.InputPerMillion, price?.CachedInputPerMillion, price?.OutputPerMillion, price?.EffectiveFrom, m.Prices.Count, m.ConcurrencyStamp)
                {
                    Kind = (ModelKind)m.Kind,
                };
            })
            .OrderBy(m => m.Provider, StringComparer.OrdinalIgnoreCase)
            .ThenBy(m => m.ModelId, StringComparer.OrdinalIgnoreCase)];
    }

    public async Task<IReadOnlyList<PriceVersionView>> PriceHistoryAsync(long modelId, CancellationToken cancellationToken = default)
    {
        var now = time.GetUtcNow();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var versions = await db.ModelPrices.AsNoTracking().Where(p => p.ModelId == modelId).ToListAsync(cancellationToken);
        var inForce = versions.Where(p => p.EffectiveFrom <= now).MaxBy(p => p.EffectiveFrom)?.Id;
        return [.. versions
            .OrderByDescending(p => p.EffectiveFrom)
            .Select(p => new PriceVersionView(p.Id, p.EffectiveFrom, p.InputPerMillion, p.CachedInputPerMillion, p.OutputPerMillion, p.BatchDiscount, p.Author, p.Note, p.Id == inForce, p.EffectiveFrom > now) { CacheWritePerMillion = p.CacheWritePerMillion })];
    }

    public async Task<CatalogueResult> SaveProviderAsync(ProviderForm form, CancellationToken cancellationToken = default)
    {
        var validation = await _providerValidator.ValidateAsync(form, cancellationToken);
        if (!validation.IsValid)
        {
            return CatalogueResult.Invalid(validation.ToErrors());
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await db.Providers.AnyAsync(p => p.Name == form.Name.Trim() && p.Id != form.Id, cancellationToken))
        {
            return CatalogueResult.Invalid(nameof(ProviderForm.Name), $"A provider named '{form.Name.Trim()}' already exists.");
        }

        ProviderEntity provider;
        if (form.Id is { } id)
        {
            provider = await db.Providers.FirstOrDefaultAsync(p => p.Id == id, cancellationToken)
                ?? throw new CatalogueNotFoundException($"Provider {id} no longer exists.");
            Guard(db, provider, form.ConcurrencyStamp, p => p.ConcurrencyStamp, (p, s) => p.ConcurrencyStamp = s);
        }
        else
        {
            provider = new ProviderEntity { Name = form.Name.Trim(), BaseUrl = form.BaseUrl.Trim() };
            db.Providers.Add(provider);
        }

        provider.Name = form.Name.Trim();
        provider.BaseUrl = form.BaseUrl.Trim();
        provider.TimeoutSeconds = form.TimeoutSeconds;
        provider.MaxRetries = form.MaxRetries;
        provider.CircuitBreakSeconds = form.CircuitBreakSeconds;
        provider.MayReceivePersonalData = form.MayReceivePersonalData;
        provider.HasBatchApi = form.HasBatchApi;
        provider.Protocol = ProviderProtocols.TryParse(form.Protocol, out var protocol) ? ProviderProtocols.Name(protocol) : ProviderProtocols.Chat;
        NativeApiNames.TryParse(form.NativeApiNames, protocol, out var nativeApis);
        provider.NativeApis = NativeApiNames.Format(nativeApis);
        provider.UpdatedAt = time.GetUtcNow();
        if (form.ClearApiKey)
        {
            provider.ProtectedApiKey = null;
        }
        else if (!string.IsNullOrEmpty(form.NewApiKey))
        {
            provider.ProtectedApiKey = protector.Protect(form.NewApiKey);
        }

        return await CommitAsync(db, () => provider.Id, "provider", cancellationToken);
    }

    public async Task<CatalogueResult> DeleteProviderAsync(long id, Guid concurrencyStamp, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var provider = await db.Providers.Include(p => p.Models).FirstOrDefaultAsync(p => p.Id == id, cancellationToken);
        if (provider is null)
        {
            return CatalogueResult.Conflicted("That provider was already deleted.");
        }

        if (provider.Models.Count > 0)
        {
            return CatalogueResult.Invalid("", $"'{provider.Name}' still serves {provider.Models.Count} model(s); delete or move them first.");
        }

        Guard(db, provider, concurrencyStamp, p => p.ConcurrencyStamp, (p, s) => p.ConcurrencyStamp = s);
        db.Providers.Remove(provider);
        return await CommitAsync(db, () => id, "provider", cancellationToken);
    }

    public async Task<CatalogueResult> SaveModelAsync(ModelForm form, string author, CancellationToken cancellationToken = default)
    {
        var validation = await _modelValidator.ValidateAsync(form, cancellationToken);
        if (!validation.IsValid)
        {
            return CatalogueResult.Invalid(validation.ToErrors());
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var provider = await db.Providers.FirstOrDefaultAsync(p => p.Name == form.Provider, cancellationToken);
        if (provider is null)
        {
            return CatalogueResult.Invalid(nameof(ModelForm.Provider), $"There is no provider named '{form.Provider}'.");
        }

        if (!await db.Tiers.AnyAsync(t => t.Name == form.Tier, cancellationToken))
        {
            return CatalogueResult.Invalid(nameof(ModelForm.Tier), $"There is no tier named '{form.Tier}'.");
        }

        if (await db.Models.AnyAsync(m => m.ProviderId == provider.Id && m.ModelId == form.ModelId && m.Id != form.Id, cancellationToken))
        {
            return CatalogueResult.Invalid(nameof(ModelForm.ModelId), $"'{provider.Name}' already has a model '{form.ModelId}'.");
        }

        var now = time.GetUtcNow();
        ModelEntity model;
        if (form.Id is { } id)
        {
            model = await db.Models.FirstOrDefaultAsync(m => m.Id == id, cancellationToken)
                ?? throw new CatalogueNotFoundException($"Model {id} no longer exists.");
            Guard(db, model, form.ConcurrencyStamp, m => m.ConcurrencyStamp, (m, s) => m.ConcurrencyStamp = s);
        }
        else
        {
            model = new ModelEntity { ModelId = form.ModelId, DisplayName = form.DisplayName, Tier = form.Tier };
            db.Models.Add(model);
            if (form.InitialPrice is { } price)
            {
                model.Prices.Add(NewVersion(price, now, author));
            }
        }

        // A model the routing uses as one kind cannot become the other: the compile below names each use, and nothing is saved.
        var kindChange = form.Id is not null && model.Kind != (int)form.Kind
            ? $"{provider.Name}/{form.ModelId} is used by the routing as {Describe((ModelKind)model.Kind)}, so it cannot become {Describe(form.Kind)} while those uses remain: "
            : null;
        model.Kind = (int)form.Kind;
        model.ProviderId = provider.Id;
        model.ModelId = form.ModelId;
        model.DisplayName = form.DisplayName.Trim();
        model.Tier = form.Tier;
        model.ContextWindow = form.ContextWindow;
        model.Capabilities = (int)form.Capabilities;
        model.Enabled = form.Enabled;
        model.UpdatedAt = now;
        return await CommitAsync(db, () => model.Id, "model", cancellationToken, kindChange);
    }

    private static string Describe(ModelKind kind) => kind == ModelKind.Embedding ? "an embeddings model" : "a chat model";

    /// <summary>Adds a price version; the ledger keeps pricing earlier requests at the version in force at their time.</summary>
    public async Task<CatalogueResult> AddPriceAsync(PriceForm form, string author, CancellationToken cancellationToken = default)
    {
        var validation = await _priceValidator.ValidateAsync(form, cancellationToken);
        if (!validation.IsValid)
        {
            return CatalogueResult.Invalid(validation.ToErrors());
        }

        var now = time.GetUtcNow();
        if (form.EffectiveFrom is { } from && from < now - PastTolerance)
        {
            return CatalogueResult.Invalid(nameof(PriceForm.EffectiveFrom), "A price cannot take effect in the past: recorded requests keep the price they were billed at. Choose now or a later moment.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (!await db.Models.AnyAsync(m => m.Id == form.ModelId, cancellationToken))
        {
            return CatalogueResult.Conflicted("That model no longer exists.");
        }

        var version = NewVersion(form, now, author);
        version.ModelId = form.ModelId;
        if (await db.ModelPrices.AnyAsync(p => p.ModelId == form.ModelId && p.EffectiveFrom == version.EffectiveFrom, cancellationToken))
        {
            return CatalogueResult.Invalid(nameof(PriceForm.EffectiveFrom), "Another price version takes effect at exactly that moment.");
        }

        db.ModelPrices.Add(version);
        return await CommitAsync(db, () => version.Id, "price", cancellationToken);
    }

    public async Task<ProbeResult> TestConnectionAsync(ProviderForm form, CancellationToken cancellationToken = default)
    {
        if (!ProviderFormValidator.BeHttpUrl(form.BaseUrl))
        {
            return new ProbeResult(false, [], "Enter a valid base URL first.", 0);
        }

        var key = form.NewApiKey;
        if (string.IsNullOrEmpty(key) && !form.ClearApiKey && form.Id is { } id)
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var stored = await db.Providers.AsNoTracking().Where(p => p.Id == id).Select(p => p.ProtectedApiKey).FirstOrDefaultAsync(cancellationToken);
            key = stored is null ? null : protector.Unprotect(stored);
        }

        var endpoint = new ProviderEndpoint(form.Name, form.BaseUrl.Trim(), key, TimeSpan.FromSeconds(Math.Clamp(form.TimeoutSeconds, 1, 600)))
        {
            Protocol = ProviderProtocols.TryParse(form.Protocol, out var protocol) ? protocol : ProviderProtocol.Chat,
        };
        return await ProviderProbe.ListModelsAsync(endpoint, local, cancellationToken);
    }

    /// <summary>Largest price map accepted for upload; the full LiteLLM map is under 2 MB.</summary>
    public const long MaxPriceMapBytes = 20 * 1024 * 1024;

    /// <summary>Reads an uploaded price map, or the copy that ships with the console when <paramref name="upload"/> is null.</summary>
    /// <exception cref="PriceMapFormatException">The file is not a LiteLLM price map; the message says why.</exception>
    public async Task<PriceMap> ReadPriceMapAsync(Stream? upload, CancellationToken cancellationToken = default)
    {
        await using var source = upload ?? LiteLlmPriceMap.OpenShipped();
        return await LiteLlmPriceMap.ParseAsync(source, cancellationToken);
    }

    public async Task<ImportPreview> PreviewImportAsync(PriceMap map, ImportOptions importOptions, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await new CatalogueImporter(time).PreviewAsync(db, map, importOptions, cancellationToken);
    }

    /// <summary>Applies a preview in one transaction; routing is recompiled inside it, so an import that would break routing writes nothing.</summary>
    /// <exception cref="InvalidOperationException">The catalogue changed since the preview, or a write was refused; nothing was written.</exception>
    /// <summary>Writes the lines of <paramref name="preview"/> (the rows the user picked); every other model and price is left as it is.</summary>
    /// <exception cref="InvalidOperationException">No line would write anything, or the catalogue changed since the preview; nothing was written.</exception>
    public async Task<ImportResult> ApplyImportAsync(ImportPreview preview, CancellationToken cancellationToken = default)
    {
        if (!preview.Lines.Any(l => l.Writes))
        {
            throw new InvalidOperationException("No row that adds or changes anything is picked, so nothing was imported. Tick the rows to import.");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        RoutingSnapshot? snapshot = null;
        var result = await new CatalogueImporter(time).ApplyAsync(db, preview, cancellationToken, async (context, token) =>
        {
            try
            {
                snapshot = await compiler.CompileAsync(context, null, token);
            }
            catch (RoutingConfigException ex)
            {
                throw new InvalidOperationException("The import would break routing, so nothing was written: " + string.Join(" ", ex.Errors), ex);
            }
        });
        routing.Publish(snapshot!);
        return result;
    }

    public async Task WriteCsvAsync(Stream output, CancellationToken cancellationToken = default)
    {
        var models = await ModelsAsync(cancellationToken);
        await using var writer = new StreamWriter(output, leaveOpen: true);
        await Csv.WriteAsync(
            writer,
            ["provider", "model_id", "display_name", "tier", "context_window", "capabilities", "enabled", "input_usd_per_1m", "cached_input_usd_per_1m", "output_usd_per_1m", "price_effective_from"],
            models.Select(m => (IReadOnlyList<object?>)[
                m.Provider, m.ModelId, m.DisplayName, m.Tier, m.ContextWindow, m.Capabilities.ToString(), m.Enabled,
                m.InputPerMillion, m.CachedInputPerMillion, m.OutputPerMillion, m.PriceSince?.ToString("u", CultureInfo.InvariantCulture)]));
        await writer.FlushAsync(cancellationToken);
    }

    private static ModelPriceEntity NewVersion(PriceForm form, DateTimeOffset now, string author) => new()
    {
        EffectiveFrom = form.EffectiveFrom ?? now,
        InputPerMillion = form.InputPerMillion!.Value,
        CachedInputPerMillion = form.CachedInputPerMillion,
        CacheWritePerMillion = form.CacheWritePerMillion,
        OutputPerMillion = form.OutputPerMillion!.Value,
        BatchDiscount = form.BatchDiscount,
        CreatedAt = now,
        Author = author,
        Note = string.IsNullOrWhiteSpace(form.Note) ? null : form.Note.Trim(),
    };

    /// <summary>Makes the update conditional on the stamp the editor loaded, and stamps the new state.</summary>
    private static void Guard<T>(CostConsoleDbContext db, T entity, Guid loaded, System.Linq.Expressions.Expression<Func<T, Guid>> stamp, Action<T, Guid> set)
        where T : class
    {
        db.Entry(entity).Property(stamp).OriginalValue = loaded;
        set(entity, Guid.NewGuid());
    }

    /// <param name="refusal">How a refusal begins, when the change has a more specific reason than breaking routing.</param>
    private async Task<CatalogueResult> CommitAsync(CostConsoleDbContext db, Func<long> id, string what, CancellationToken cancellationToken, string? refusal = null)
    {
        IReadOnlyList<string>? broken;
        try
        {
            broken = await compiler.CommitAsync(db, cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return CatalogueResult.Conflicted($"Someone else changed this {what} since you opened it. Reload to see their change; yours was not saved.");
        }

        return broken is null
            ? CatalogueResult.Ok(id())
            : CatalogueResult.Invalid("", (refusal ?? "This change would break routing, so it was not saved: ") + string.Join(" ", broken)
                + (refusal is null ? "" : " Change those on the Routing page first; nothing was saved."));
    }
}

public sealed class CatalogueNotFoundException(string message) : Exception(message);
