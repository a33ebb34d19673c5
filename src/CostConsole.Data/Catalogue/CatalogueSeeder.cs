using System.Text.Json;
using CostConsole.Data.Entities;
using CostConsole.Data.Keys;
using CostConsole.Routing.Catalogue;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Data.Catalogue;

/// <summary>
/// Brings the database in line with configuration at start: tiers, declared providers, models and prices,
/// the default tier mapping and rule set when none exist, and the development key.
/// </summary>
public static class CatalogueSeeder
{
    public static async Task ApplyAsync(CostConsoleDbContext db, CostConsoleOptions options, ISecretProtector protector, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        if (!await db.Tiers.AnyAsync(cancellationToken))
        {
            var position = 0;
            foreach (var name in options.TierNames)
            {
                db.Tiers.Add(new TierEntity { Name = name, Position = position++ });
            }
        }

        var providers = await db.Providers.ToDictionaryAsync(p => p.Name, StringComparer.OrdinalIgnoreCase, cancellationToken);
        foreach (var declared in options.Catalogue.Providers.Where(p => !string.IsNullOrWhiteSpace(p.Name)))
        {
            if (!providers.TryGetValue(declared.Name, out var provider))
            {
                provider = new ProviderEntity { Name = declared.Name, BaseUrl = declared.BaseUrl, FromConfiguration = true, UpdatedAt = now };
                db.Providers.Add(provider);
                providers[declared.Name] = provider;
            }

            if (provider.FromConfiguration)
            {
                provider.BaseUrl = declared.BaseUrl;
                provider.TimeoutSeconds = declared.TimeoutSeconds;
                provider.MaxRetries = declared.MaxRetries;
                provider.CircuitBreakSeconds = declared.CircuitBreakSeconds;
                provider.MayReceivePersonalData = declared.MayReceivePersonalData;
                provider.HasBatchApi = declared.HasBatchApi;
                provider.Protocol = ProviderProtocols.TryParse(declared.Protocol, out var protocol)
                    ? ProviderProtocols.Name(protocol)
                    : throw new InvalidOperationException($"Configured provider '{declared.Name}' has Protocol '{declared.Protocol}'; use one of: {string.Join(", ", ProviderProtocols.Names)}.");
                provider.NativeApis = NativeApiNames.TryParse(declared.NativeApis, protocol, out var nativeApis) is { } wrong
                    ? throw new InvalidOperationException($"Configured provider '{declared.Name}' has NativeApis [{string.Join(", ", declared.NativeApis)}]: {wrong}")
                    : NativeApiNames.Format(nativeApis);
                if (!string.IsNullOrEmpty(declared.ApiKey) && (provider.ProtectedApiKey is null || protector.Unprotect(provider.ProtectedApiKey) != declared.ApiKey))
                {
                    provider.ProtectedApiKey = protector.Protect(declared.ApiKey);
                    provider.UpdatedAt = now;
                }
            }
        }

        await db.SaveChangesAsync(cancellationToken);

        var models = await db.Models.Include(m => m.Prices).ToListAsync(cancellationToken);
        foreach (var declared in options.Catalogue.Models.Where(m => !string.IsNullOrWhiteSpace(m.Id)))
        {
            if (!providers.TryGetValue(declared.Provider, out var provider))
            {
                throw new InvalidOperationException($"Configured model '{declared.Id}' names provider '{declared.Provider}', which is not configured.");
            }

            var model = models.FirstOrDefault(m => m.ProviderId == provider.Id && m.ModelId == declared.Id);
            if (model is null)
            {
                model = new ModelEntity { ProviderId = provider.Id, ModelId = declared.Id, DisplayName = declared.DisplayName ?? declared.Id, Tier = declared.Tier, UpdatedAt = now };
                db.Models.Add(model);
                models.Add(model);
            }

            model.DisplayName = declared.DisplayName ?? declared.Id;
            model.Tier = declared.Tier;
            model.ContextWindow = declared.ContextWindow;
            model.Capabilities = (int)ParseCapabilities(declared.Capabilities);
            model.Kind = (int)ModelKinds.Parse(declared.Kind);
            model.Enabled = declared.Enabled;

            // An embeddings model writes no output: its price is the input price alone.
            var declaredOutput = declared.OutputPerMillion ?? (model.Kind == (int)ModelKind.Embedding ? 0m : null);
            if (declared.InputPerMillion is { } input && declaredOutput is { } output)
            {
                // A changed declared price becomes a new version from now; history is never rewritten.
                var current = model.Prices.Where(p => p.EffectiveFrom <= now).MaxBy(p => p.EffectiveFrom);
                if (current is null || current.InputPerMillion != input || current.OutputPerMillion != output || current.CachedInputPerMillion != declared.CachedInputPerMillion
                    || current.BatchDiscount != declared.BatchDiscount || current.CacheWritePerMillion != declared.CacheWritePerMillion)
                {
                    model.Prices.Add(new ModelPriceEntity
                    {
                        EffectiveFrom = current is null ? DateTimeOffset.UnixEpoch : now,
                        InputPerMillion = input,
                        CachedInputPerMillion = declared.CachedInputPerMillion,
                        OutputPerMillion = output,
                        BatchDiscount = declared.BatchDiscount,
                        CacheWritePerMillion = declared.CacheWritePerMillion,
                        CreatedAt = now,
                        Author = "configuration",
                        Note = current is null ? "declared in configuration" : "changed in configuration",
                    });
                }
            }
        }

        await db.SaveChangesAsync(cancellationToken);

        // Mappings name models as provider/id, so a provider added later that serves the same id leaves them valid.
        var qualified = models.ToLookup(m => m.ModelId, m => ModelKey.Of(providers.Values.First(p => p.Id == m.ProviderId).Name, m.ModelId), StringComparer.Ordinal);
        string Qualify(string reference) => qualified[reference].Count() == 1 ? qualified[reference].Single() : reference;

        var defaultMapping = await db.TierMappings.FirstOrDefaultAsync(m => m.IsDefault, cancellationToken);
        if (defaultMapping is null)
        {
            var mapping = options.Catalogue.TierMapping.Count > 0
                ? options.Catalogue.TierMapping.ToDictionary(kv => kv.Key, kv => kv.Value)
                : options.TierNames.ToDictionary(t => t, t => models.Where(m => m.Enabled && m.Kind == (int)ModelKind.Chat && string.Equals(m.Tier, t, StringComparison.OrdinalIgnoreCase)).Select(m => m.ModelId).ToList());
            db.TierMappings.Add(new TierMappingEntity
            {
                Name = "default",
                IsDefault = true,
                TiersJson = JsonSerializer.Serialize(mapping.ToDictionary(kv => kv.Key, kv => kv.Value.Select(Qualify).ToList()), RoutingJson.Options),
                UpdatedAt = now,
            });
        }
        else
        {
            var mapping = JsonSerializer.Deserialize<Dictionary<string, List<string>>>(defaultMapping.TiersJson, RoutingJson.Options)!;
            var json = JsonSerializer.Serialize(mapping.ToDictionary(kv => kv.Key, kv => kv.Value.Select(Qualify).ToList()), RoutingJson.Options);
            if (json != defaultMapping.TiersJson)
            {
                defaultMapping.TiersJson = json;
                defaultMapping.UpdatedAt = now;
            }
        }

        if (!await db.RuleSets.AnyAsync(cancellationToken))
        {
            db.RuleSets.Add(new RuleSetEntity
            {
                Version = 1,
                Status = RuleSetStatus.Published,
                DefinitionJson = JsonSerializer.Serialize(DefaultRuleSet.Create(), RoutingJson.Options),
                Author = "system",
                Note = "initial rule set",
                CreatedAt = now,
                PublishedAt = now,
            });
        }

        if (!string.IsNullOrWhiteSpace(options.DevApiKey))
        {
            // The development key keeps every scope, also in a data folder from before scopes, so local tools keep working.
            var hash = ApiKeySecrets.Hash(options.DevApiKey);
            var everything = KeyScopeNames.Format(KeyScopes.All);
            if (await db.ApiKeys.FirstOrDefaultAsync(k => k.Hash == hash, cancellationToken) is { } existing)
            {
                existing.Scopes = everything;
            }
            else
            {
                db.ApiKeys.Add(new ApiKeyEntity
                {
                    Name = "development",
                    Team = "development",
                    Prefix = ApiKeySecrets.Prefix(options.DevApiKey),
                    Hash = hash,
                    CreatedAt = now,
                    Scopes = everything,
                });
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public static ModelCapabilities ParseCapabilities(IEnumerable<string> names)
    {
        var capabilities = ModelCapabilities.None;
        foreach (var name in names)
        {
            capabilities |= name.Replace("_", "", StringComparison.Ordinal).ToLowerInvariant() switch
            {
                "tools" or "functioncalling" => ModelCapabilities.Tools,
                "vision" => ModelCapabilities.Vision,
                "jsonschema" or "responseschema" => ModelCapabilities.JsonSchema,
                "logprobs" => ModelCapabilities.Logprobs,
                _ => throw new InvalidOperationException($"Unknown model capability '{name}'. Use tools, vision, json_schema or logprobs."),
            };
        }

        return capabilities;
    }
}
