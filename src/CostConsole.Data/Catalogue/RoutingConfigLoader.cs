using System.Text.Json;
using CostConsole.Data.Entities;
using CostConsole.Data.Learning;
using CostConsole.Routing.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Data.Catalogue;

/// <summary>Reads the catalogue, the tier mapping (the rule set's own, else the default), the published rule set and the stored models it names into a <see cref="RoutingConfig"/>.</summary>
public static class RoutingConfigLoader
{
    /// <param name="ruleSet">A rule set to load instead of the published one (a draft), with its version.</param>
    public static async Task<RoutingConfig> LoadAsync(
        CostConsoleDbContext db,
        CostConsoleOptions options,
        ISecretProtector protector,
        CancellationToken cancellationToken = default,
        (RuleSetDefinition Definition, int Version)? ruleSet = null)
    {
        var tiers = await db.Tiers.AsNoTracking().OrderBy(t => t.Position).Select(t => t.Name).ToListAsync(cancellationToken);
        var providers = await db.Providers.AsNoTracking().ToListAsync(cancellationToken);
        var models = await db.Models.AsNoTracking().Include(m => m.Provider).ToListAsync(cancellationToken);
        var prices = await db.ModelPrices.AsNoTracking().Include(p => p.Model!).ThenInclude(m => m.Provider).ToListAsync(cancellationToken);
        var mapping = await db.TierMappings.AsNoTracking().FirstOrDefaultAsync(m => m.IsDefault, cancellationToken)
            ?? throw new InvalidOperationException("There is no default tier mapping.");
        // The shadow watches live traffic only: a draft compiled for a dry run leaves it out.
        var shadow = ruleSet is null ? await ShadowStore.ActiveAsync(db, cancellationToken) : null;
        if (ruleSet is null)
        {
            var published = await db.RuleSets.AsNoTracking().Where(r => r.Status == RuleSetStatus.Published).OrderByDescending(r => r.Version).FirstOrDefaultAsync(cancellationToken)
                ?? throw new InvalidOperationException("There is no published rule set.");
            ruleSet = (JsonSerializer.Deserialize<RuleSetDefinition>(published.DefinitionJson, RoutingJson.Options)!, published.Version);
        }

        var (definition, version) = ruleSet.Value;
        var trained = await TrainedModelStore.ReferencedAsync(db, definition, cancellationToken);
        if (shadow is not null)
        {
            trained = await ShadowStore.WithModelAsync(db, trained, shadow.Model, cancellationToken);
        }

        var running = await db.Experiments.AsNoTracking().Where(e => e.State == ExperimentState.Running).OrderBy(e => e.Id).ToListAsync(cancellationToken);
        var keyTeams = await db.ApiKeys.AsNoTracking().Where(k => k.Team != null && k.RevokedAt == null).ToDictionaryAsync(k => k.Id, k => k.Team!, cancellationToken);

        return new RoutingConfig
        {
            Tiers = tiers,
            Providers = [.. providers.Select(p => new ProviderEndpoint(
                p.Name,
                p.BaseUrl,
                p.ProtectedApiKey is null ? null : protector.Unprotect(p.ProtectedApiKey),
                TimeSpan.FromSeconds(p.TimeoutSeconds))
            {
                Resilience = ResilienceSettings.Default with
                {
                    MaxRetries = Math.Clamp(p.MaxRetries, 0, ResilienceSettings.MaxAllowedRetries),
                    BreakDuration = TimeSpan.FromSeconds(Math.Clamp(p.CircuitBreakSeconds, 1, 3600)),
                },
                MayReceivePersonalData = p.MayReceivePersonalData,
                HasBatchApi = p.HasBatchApi,
                Protocol = ProviderProtocols.TryParse(p.Protocol, out var protocol) ? protocol : ProviderProtocol.Chat,
                NativeApis = NativeApiNames.Parse(p.NativeApis, protocol),
            })],
            Models = [.. models.Select(m => new CatalogueModel(m.ModelId, m.Provider!.Name, m.DisplayName, m.Tier, m.ContextWindow, (ModelCapabilities)m.Capabilities, m.Enabled) { Kind = (ModelKind)m.Kind })],
            Prices = [.. prices.Select(p => new ModelPrice(
                ModelKey.Of(p.Model!.Provider!.Name, p.Model.ModelId),
                p.EffectiveFrom,
                p.InputPerMillion,
                p.CachedInputPerMillion,
                p.OutputPerMillion,
                p.BatchDiscount,
                p.CacheWritePerMillion))],
            Mapping = definition.TierMapping is { } own
                ? new TierMappingDefinition($"rule set version {version}", own.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.OrdinalIgnoreCase))
                : new TierMappingDefinition(
                    mapping.Name,
                    JsonSerializer.Deserialize<Dictionary<string, List<string>>>(mapping.TiersJson, RoutingJson.Options)!
                        .ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.OrdinalIgnoreCase)),
            RuleSet = definition,
            RuleSetVersion = version,
            TrainedModels = trained,
            Shadow = shadow,
            BaselineModel = options.BaselineModel,
            RegexTimeout = TimeSpan.FromMilliseconds(options.RegexTimeoutMilliseconds),
            Experiments = [.. running.Select(ExperimentJson.Definition)],
            KeyTeams = keyTeams,
            PersonalDataPatterns = [.. options.Privacy.Patterns.Select(p => new CostConsole.Routing.Privacy.PersonalDataPattern(p.Name, p.Pattern, p.Test))],
        };
    }
}
