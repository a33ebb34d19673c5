using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Caching;
using CostConsole.Routing.Decisions;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Caching;

/// <summary>What a change of the cache policies did: saved, or refused with a reason a person can act on (and nothing changed).</summary>
public sealed record CachePolicyChange(bool Saved, string? Problem)
{
    public static CachePolicyChange Ok { get; } = new(true, null);

    public static CachePolicyChange Refused(string problem) => new(false, problem);
}

/// <summary>
/// The cache's policies as edited in the console: kept in the database (one row, whose concurrency stamp refuses an edit
/// made over a change saved meanwhile), applied to the cache at once by swapping its settings whole, recorded in the
/// audit log, and announced to the other instances, which reload them. While nothing was saved the configuration's
/// policies (<c>CostConsole:Cache:Default</c> and <c>:Rules</c>) are in force.
/// </summary>
internal sealed class CachePolicies(ResponseCache cache, IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time, RoutingState routing)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };
    private readonly SemaphoreSlim _change = new(1, 1);
    private volatile Saved? _saved;

    /// <summary>Raised after a change made here is saved and applied, so the other instances can reload.</summary>
    public event Action? Changed;

    public CacheSettings Settings => cache.Settings;

    /// <summary>The version of the policies in force: what an edit started from, checked when it is saved. Null while the configuration's are in force.</summary>
    public Guid? Stamp => _saved?.Stamp;

    /// <summary>Who saved the policies in force, and when; null while the configuration's are in force.</summary>
    public (string? By, DateTimeOffset At)? LastChange => _saved is { } saved ? (saved.By, saved.At) : null;

    /// <summary>The tiers of the routing in force and the rules a policy may be given to (those of the published rule set and those that have one).</summary>
    public CachePolicyContext Context()
    {
        var snapshot = routing.IsReady ? routing.Current : null;
        var rules = (snapshot?.RuleNames ?? []).Concat(cache.Settings.Rules.Keys).Distinct(StringComparer.Ordinal).ToList();
        return new CachePolicyContext(snapshot?.Tiers ?? [], rules);
    }

    /// <summary>Reads the saved policies, if any, and puts them in force (at start, and when another instance changed them).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.CacheSettings.AsNoTracking().SingleOrDefaultAsync(r => r.Id == CacheSettingsEntity.SingleId, cancellationToken);
        if (row is null || row.ConcurrencyStamp == _saved?.Stamp)
        {
            return;
        }

        var stored = JsonSerializer.Deserialize<StoredPolicies>(row.PoliciesJson, Json)
            ?? throw new InvalidOperationException("The saved cache policies are empty.");
        cache.Apply(cache.Settings with { Default = stored.Default, Rules = stored.Rules });
        _saved = new Saved(row.ConcurrencyStamp, row.UpdatedBy, row.UpdatedAt);
    }

    /// <summary>Saves the policy <paramref name="form"/> describes, unless it has problems or the policies changed since <paramref name="expected"/>.</summary>
    public Task<CachePolicyChange> SaveAsync(CachePolicyForm form, Guid? expected, string actor, CancellationToken cancellationToken = default)
    {
        var result = new CachePolicyFormValidator(Context()).Validate(form);
        if (!result.IsValid)
        {
            return Task.FromResult(CachePolicyChange.Refused(string.Join(" ", result.Errors.Select(e => e.ErrorMessage).Distinct())));
        }

        var policy = form.ToPolicy();
        var subject = form.Rule is null ? "default cache policy" : $"cache policy of rule {form.Rule}";
        return ChangeAsync(
            settings => form.Rule is null ? settings with { Default = policy } : settings with { Rules = With(settings.Rules, form.Rule, policy) },
            expected,
            actor,
            subject,
            CachePolicyText.Describe(policy),
            cancellationToken);
    }

    /// <summary>Sets the similarity threshold of <paramref name="rule"/>'s policy (the default's when null), as chosen on a threshold check's curve.</summary>
    public Task<CachePolicyChange> SetThresholdAsync(string? rule, double threshold, Guid? expected, string actor, CancellationToken cancellationToken = default)
    {
        var current = cache.Settings.For(rule);
        var form = CachePolicyForm.From(rule, current);
        form.Threshold = threshold;
        return SaveAsync(form, expected, actor, cancellationToken);
    }

    /// <summary>Removes <paramref name="rule"/>'s own policy: its requests follow the default policy again.</summary>
    public Task<CachePolicyChange> RemoveAsync(string rule, Guid? expected, string actor, CancellationToken cancellationToken = default) =>
        cache.Settings.Rules.ContainsKey(rule)
            ? ChangeAsync(settings => settings with { Rules = Without(settings.Rules, rule) }, expected, actor, $"cache policy of rule {rule}", "removed: the rule follows the default policy", cancellationToken)
            : Task.FromResult(CachePolicyChange.Refused($"Rule {rule} has no cache policy of its own."));

    private async Task<CachePolicyChange> ChangeAsync(Func<CacheSettings, CacheSettings> change, Guid? expected, string actor, string subject, string details, CancellationToken cancellationToken)
    {
        await _change.WaitAsync(cancellationToken);
        try
        {
            await using var db = await factory.CreateDbContextAsync(cancellationToken);
            var row = await db.CacheSettings.SingleOrDefaultAsync(r => r.Id == CacheSettingsEntity.SingleId, cancellationToken);
            if (row?.ConcurrencyStamp != expected)
            {
                return await ConflictAsync(row, cancellationToken);
            }

            var next = change(cache.Settings);
            if (next.Problems() is { Count: > 0 } problems)
            {
                return CachePolicyChange.Refused(string.Join(" ", problems));
            }

            var now = time.GetUtcNow();
            var json = JsonSerializer.Serialize(new StoredPolicies(next.Default, new Dictionary<string, CachePolicy>(next.Rules, StringComparer.Ordinal)), Json);
            if (row is null)
            {
                row = new CacheSettingsEntity { PoliciesJson = json };
                db.CacheSettings.Add(row);
            }

            row.PoliciesJson = json;
            row.UpdatedAt = now;
            row.UpdatedBy = actor;
            row.ConcurrencyStamp = Guid.NewGuid();
            db.AuditLog.Add(new AuditLogEntity { At = now, Actor = actor, Action = "cache.policy", Subject = subject, Details = details });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // Saved by someone else between the read and the write (an update's stamp, or a first row inserted twice).
                await using var again = await factory.CreateDbContextAsync(cancellationToken);
                return await ConflictAsync(await again.CacheSettings.AsNoTracking().SingleOrDefaultAsync(r => r.Id == CacheSettingsEntity.SingleId, cancellationToken), cancellationToken);
            }

            cache.Apply(cache.Settings with { Default = next.Default, Rules = next.Rules });
            _saved = new Saved(row.ConcurrencyStamp, actor, now);
        }
        finally
        {
            _change.Release();
        }

        Changed?.Invoke();
        return CachePolicyChange.Ok;
    }

    /// <summary>Refuses an edit made over a change saved meanwhile, after putting that change in force here so the editor shows it.</summary>
    private async Task<CachePolicyChange> ConflictAsync(CacheSettingsEntity? row, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
        var by = row is null ? "someone" : row.UpdatedBy ?? "someone";
        var at = row is null ? "" : " at " + row.UpdatedAt.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";
        return CachePolicyChange.Refused($"The cache policies were changed by {by}{at} since you opened them; nothing was saved. The policies now in force are shown: make your change again on them.");
    }

    private static Dictionary<string, CachePolicy> With(IReadOnlyDictionary<string, CachePolicy> rules, string rule, CachePolicy policy) =>
        new(rules, StringComparer.Ordinal) { [rule] = policy };

    private static Dictionary<string, CachePolicy> Without(IReadOnlyDictionary<string, CachePolicy> rules, string rule)
    {
        var copy = new Dictionary<string, CachePolicy>(rules, StringComparer.Ordinal);
        copy.Remove(rule);
        return copy;
    }

    private sealed record StoredPolicies(CachePolicy Default, Dictionary<string, CachePolicy> Rules);

    private sealed record Saved(Guid Stamp, string? By, DateTimeOffset At);
}
