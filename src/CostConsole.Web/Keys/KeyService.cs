using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Keys;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Api;
using CostConsole.Web.Budgets;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Keys;

/// <summary>Virtual API keys: created with their limits, listed with last use and this month's spend, changed or revoked at once.</summary>
internal sealed class KeyService
{
    private readonly IDbContextFactory<CostConsoleDbContext> _factory;
    private readonly ApiKeyDirectory _directory;
    private readonly BudgetService _budgets;
    private readonly RoutingState _routing;
    private readonly TimeProvider _time;
    private readonly KeyFormValidator _validator = new();
    private readonly CostConsole.Web.Metrics.SpendReport _spend;

    private readonly CostConsole.Data.Catalogue.CostConsoleOptions _options;
    private readonly TimeZoneInfo _zone;

    public KeyService(IDbContextFactory<CostConsoleDbContext> factory, ApiKeyDirectory directory, BudgetService budgets, RoutingState routing, TimeProvider time, Microsoft.Extensions.Options.IOptions<CostConsole.Data.Catalogue.CostConsoleOptions> options, Microsoft.Extensions.Options.IOptions<BudgetOptions> budgetOptions, CostConsole.Web.Metrics.SpendReport spend)
    {
        _spend = spend;
        _options = options.Value;
        _zone = budgetOptions.Value.Zone();
        _factory = factory;
        _directory = directory;
        _budgets = budgets;
        _routing = routing;
        _time = time;
    }

    public async Task<IReadOnlyList<KeyView>> ListAsync(bool includeRevoked, CancellationToken cancellationToken = default)
    {
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        var query = db.ApiKeys.AsNoTracking();
        if (!includeRevoked)
        {
            query = query.Where(k => k.RevokedAt == null);
        }

        // Each key with its latest request in the ledger, in the one query that lists the keys: so "last used" is right
        // whichever host or import wrote the request, without a write per request. The latest is a correlated MAX, which
        // both stores answer from the (key, time) index with one seek per key rather than reading every row of a busy key.
        var rows = await query.OrderByDescending(k => k.CreatedAt)
            .Select(k => new { Key = k, LastRequestAt = db.RequestLog.Where(r => r.ApiKeyId == k.Id).Max(r => (DateTimeOffset?)r.Timestamp) })
            .ToListAsync(cancellationToken);
        var spend = await SpendThisMonthAsync(cancellationToken);
        return [.. rows.Select(row =>
        {
            var k = row.Key;
            return new KeyView(k.Id, k.Name, k.Team, k.Prefix,
                ApiKeySecrets.SplitList(k.AllowedTiers), ApiKeySecrets.SplitList(k.AllowedModels), k.RequestsPerMinute, k.TokensPerMinute,
                k.CreatedAt, k.CreatedBy, Latest(Latest(k.LastUsedAt, _directory.LastUsed(k.Id)), row.LastRequestAt), k.RevokedAt,
                KeyScopeNames.Parse(k.Scopes), k.PromptStorage, Money.FromNanoUsd(spend.GetValueOrDefault(k.Id, CostConsole.Web.Metrics.SpendFigures.Empty).CostNanoUsd));
        })];
    }

    /// <summary>
    /// Each key's spend this calendar month in the budgets' time zone, read as the Spend page reads it (the hour rollups and
    /// the ledger's last minutes) in one grouped read for all keys, so the list stays quick on a large ledger.
    /// </summary>
    private async Task<IReadOnlyDictionary<long, CostConsole.Web.Metrics.SpendFigures>> SpendThisMonthAsync(CancellationToken cancellationToken)
    {
        var (monthStart, monthEnd) = BudgetPeriods.Containing(BudgetPeriod.Monthly, _time.GetUtcNow(), _zone);
        return await _spend.ByKeyAsync(monthStart, monthEnd, cancellationToken);
    }

    /// <summary>Creates a key and returns its secret, which is stored only as a hash.</summary>
    public async Task<(ChangeResult Result, CreatedKey? Key)> CreateAsync(KeyForm form, string author, CancellationToken cancellationToken = default)
    {
        if (await CheckAsync(form, cancellationToken) is { } refused)
        {
            return (refused, null);
        }

        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        var name = form.Name.Trim();
        if (await db.ApiKeys.AnyAsync(k => k.Name == name && k.RevokedAt == null, cancellationToken))
        {
            return (ChangeResult.Invalid(nameof(KeyForm.Name), $"An active key is already named '{name}'. Choose another name."), null);
        }

        var secret = ApiKeySecrets.NewSecret();
        var entity = new ApiKeyEntity
        {
            Name = name,
            Team = form.Team?.Trim(),
            Prefix = ApiKeySecrets.Prefix(secret),
            Hash = ApiKeySecrets.Hash(secret),
            CreatedAt = _time.GetUtcNow(),
            CreatedBy = author,
            AllowedTiers = form.AllowedTiers.Count == 0 ? null : string.Join(',', form.AllowedTiers),
            AllowedModels = form.AllowedModels.Count == 0 ? null : string.Join(',', form.AllowedModels),
            RequestsPerMinute = form.RequestsPerMinute,
            TokensPerMinute = form.TokensPerMinute,
            Scopes = KeyScopeNames.Format(form.Scopes),
            PromptStorage = StoredPolicy(form.PromptStorage),
        };
        db.ApiKeys.Add(entity);
        await db.SaveChangesAsync(cancellationToken);
        await _directory.ReloadAsync(cancellationToken);

        if (form.MonthlyBudgetUsd is { } monthly)
        {
            await _budgets.SaveAsync(new BudgetForm
            {
                Name = $"Key {name}",
                Scope = BudgetScope.Key,
                ScopeValue = entity.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Period = BudgetPeriod.Monthly,
                LimitUsd = monthly,
                Thresholds = "50,80,100",
            }, author, cancellationToken);
        }

        return (ChangeResult.Ok(entity.Id), new CreatedKey(entity.Id, name, secret));
    }

    /// <summary>
    /// Changes an active key's name, team, allowed tiers and models, rate limits and scopes; the next request with it sees them.
    /// The secret stays the same, and the key's budgets are kept on the budgets page.
    /// </summary>
    /// <param name="loaded">The key as the editor saw it: when someone else changed it since, the change is refused.</param>
    public async Task<ChangeResult> UpdateAsync(long id, KeyForm form, string author, KeyView? loaded = null, CancellationToken cancellationToken = default)
    {
        if (await CheckAsync(form, cancellationToken) is { } refused)
        {
            return refused;
        }

        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
        if (key is null || key.RevokedAt is not null)
        {
            return ChangeResult.Invalid(nameof(KeyForm.Name), key is null ? "This key no longer exists." : $"'{key.Name}' has been revoked; a revoked key cannot be changed.");
        }

        if (loaded is not null && (loaded.Name != key.Name || loaded.Team != key.Team
            || !loaded.AllowedTiers.SequenceEqual(ApiKeySecrets.SplitList(key.AllowedTiers))
            || !loaded.AllowedModels.SequenceEqual(ApiKeySecrets.SplitList(key.AllowedModels))
            || loaded.RequestsPerMinute != key.RequestsPerMinute || loaded.TokensPerMinute != key.TokensPerMinute
            || loaded.Scopes != KeyScopeNames.Parse(key.Scopes) || loaded.PromptStorage != key.PromptStorage))
        {
            return ChangeResult.Invalid(nameof(KeyForm.Name), $"Someone else changed '{key.Name}' since you opened it. Close this form and open the key again to see the current limits.");
        }

        var name = form.Name.Trim();
        if (await db.ApiKeys.AnyAsync(k => k.Id != id && k.Name == name && k.RevokedAt == null, cancellationToken))
        {
            return ChangeResult.Invalid(nameof(KeyForm.Name), $"An active key is already named '{name}'. Choose another name.");
        }

        var before = Describe(key);
        var oldName = key.Name;
        key.Name = name;
        key.Team = form.Team?.Trim();
        key.AllowedTiers = form.AllowedTiers.Count == 0 ? null : string.Join(',', form.AllowedTiers);
        key.AllowedModels = form.AllowedModels.Count == 0 ? null : string.Join(',', form.AllowedModels);
        key.RequestsPerMinute = form.RequestsPerMinute;
        key.TokensPerMinute = form.TokensPerMinute;
        key.Scopes = KeyScopeNames.Format(form.Scopes);
        key.PromptStorage = StoredPolicy(form.PromptStorage);
        if (oldName == key.Name && before == Describe(key))
        {
            // Saved as it was: nothing to record.
            return ChangeResult.Ok(key.Id);
        }

        db.AuditLog.Add(new AuditLogEntity
        {
            At = _time.GetUtcNow(),
            Actor = author,
            Action = "api-key.update",
            Subject = $"{key.Name} ({key.Prefix}…)",
            Details = $"{before} → {Describe(key)}",
        });
        await db.SaveChangesAsync(cancellationToken);
        await _directory.ReloadAsync(cancellationToken);
        return ChangeResult.Ok(key.Id);
    }

    /// <summary>Revokes a key: the next request with it is refused.</summary>
    public async Task<bool> RevokeAsync(long id, string author, CancellationToken cancellationToken = default)
    {
        await using var db = await _factory.CreateDbContextAsync(cancellationToken);
        var key = await db.ApiKeys.FirstOrDefaultAsync(k => k.Id == id && k.RevokedAt == null, cancellationToken);
        if (key is null)
        {
            return false;
        }

        var now = _time.GetUtcNow();
        key.RevokedAt = now;
        db.AuditLog.Add(new AuditLogEntity { At = now, Actor = author, Action = "api-key.revoke", Subject = $"{key.Name} ({key.Prefix}…)" });
        await db.SaveChangesAsync(cancellationToken);
        await _directory.ReloadAsync(cancellationToken);
        return true;
    }

    public IReadOnlyList<string> Tiers => _routing.Current.Tiers;

    /// <summary>What a key of <paramref name="team"/> without its own policy stores, e.g. <c>team: full</c>; null when the team has no policy.</summary>
    public string? TeamPromptStorage(string? team) =>
        _options.Privacy.TeamPolicy(team) is { } policy ? "team: " + CostConsole.Routing.Privacy.PromptStorageNames.Of(policy) : null;

    /// <summary>The prompt storage of keys without their own (configuration <c>CostConsole:Privacy:PromptStorage</c>, or <c>StorePrompts</c>).</summary>
    public string DefaultPromptStorage => CostConsole.Routing.Privacy.PromptStorageNames.Of(_options.Privacy.For(null, _options.StorePrompts));

    public IReadOnlyList<string> Models => [.. _routing.Current.Models.Select(m => m.Key).Distinct().Order()];

    /// <summary>The form's own rules, then tiers and models against the live routing; null when it may be saved.</summary>
    private async Task<ChangeResult?> CheckAsync(KeyForm form, CancellationToken cancellationToken)
    {
        var validation = await _validator.ValidateAsync(form, cancellationToken);
        if (!validation.IsValid)
        {
            return ChangeResult.Invalid(validation);
        }

        var snapshot = _routing.Current;
        if (form.AllowedTiers.FirstOrDefault(t => !snapshot.IsTier(t)) is { } tier)
        {
            return ChangeResult.Invalid(nameof(KeyForm.AllowedTiers), $"'{tier}' is not a tier. Tiers: {string.Join(", ", snapshot.Tiers)}.");
        }

        return form.AllowedModels.FirstOrDefault(m => snapshot.FindModel(m) is null) is { } model
            ? ChangeResult.Invalid(nameof(KeyForm.AllowedModels), $"'{model}' is not a model in the catalogue.")
            : null;
    }

    private static string Describe(ApiKeyEntity key) =>
        $"team {key.Team ?? "none"}; tiers {key.AllowedTiers ?? "all"}; models {key.AllowedModels ?? "all"}; "
        + $"{key.RequestsPerMinute?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no"} req/min; "
        + $"{key.TokensPerMinute?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no"} tokens/min; "
        + $"scopes {KeyScopeNames.Describe(KeyScopeNames.Parse(key.Scopes))}"
        + (key.PromptStorage is null ? "" : $"; prompts stored {key.PromptStorage}");

    /// <summary>The policy as the database keeps it: a name, or null for the global default.</summary>
    private static string? StoredPolicy(string form) =>
        CostConsole.Routing.Privacy.PromptStorageNames.Parse(form) is { } policy ? CostConsole.Routing.Privacy.PromptStorageNames.Of(policy) : null;

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
