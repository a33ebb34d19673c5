using System.Security.Cryptography;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Experiments;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Experiments.Statistics;
using CostConsole.Web.Extensions;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Experiments;

public sealed record ArmView(string Name, int Weight, IReadOnlyDictionary<string, List<string>> Tiers);

/// <summary>An experiment as the console lists and shows it.</summary>
public sealed record ExperimentView(
    long Id,
    string Name,
    string? Description,
    ExperimentState State,
    AssignmentUnitKind Unit,
    ExperimentScope Scope,
    IReadOnlyList<ArmView> Arms,
    double BaselineResolution,
    double MinimumEffectPoints,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? StoppedAt,
    string? PromotedArm,
    Guid ConcurrencyStamp)
{
    /// <summary>Outcomes (requests with resolution feedback) each arm needs before a verdict is shown.</summary>
    public long RequiredPerArm => ExperimentStatistics.SampleSizeForProportions(BaselineResolution, BaselineResolution - MinimumEffectPoints / 100);

    public ExperimentForm ToForm() => new()
    {
        Name = Name,
        Description = Description,
        Unit = Unit,
        Arms = [.. Arms.Select(a => new ArmForm { Name = a.Name, Weight = a.Weight, Tiers = a.Tiers.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.OrdinalIgnoreCase) })],
        ScopeKeys = Scope.ApiKeyIds,
        ScopeTeams = Scope.Teams,
        ScopeTiers = Scope.Tiers,
        ScopeRules = Scope.Rules,
        BaselineResolutionPercent = BaselineResolution * 100,
        MinimumEffectPoints = MinimumEffectPoints,
    };
}

/// <summary>The outcome of a change: done, refused with reasons, or a conflict with someone else's change.</summary>
public sealed record ExperimentResult(bool Done, IReadOnlyList<string> Errors, long? Id = null)
{
    public static ExperimentResult Ok(long id) => new(true, [], id);

    public static ExperimentResult Refused(params IReadOnlyList<string> errors) => new(false, errors);

    public string Summary => string.Join(" ", Errors);
}

/// <summary>The choices the experiment form offers: tiers, routable models, keys, teams and rules.</summary>
public sealed record ExperimentChoices(
    IReadOnlyList<string> Tiers,
    IReadOnlyList<string> Models,
    IReadOnlyList<(long Id, string Name, string? Team)> Keys,
    IReadOnlyList<string> Teams,
    IReadOnlyList<string> Rules,
    IReadOnlyDictionary<string, List<string>> DefaultMapping);

/// <summary>
/// Experiments of tier mappings. Drafts are edited freely; starting and stopping recompile and republish the
/// routing snapshot in the same transaction (so a start that would not compile, or whose scope overlaps a
/// running experiment, changes nothing); rolling out an arm writes its mapping into the routing draft, audited.
/// </summary>
public sealed class ExperimentService(IDbContextFactory<CostConsoleDbContext> factory, RoutingCompiler compiler, RoutingState routing, TimeProvider time, CostConsole.Web.Routing.RuleSetService ruleSets)
{
    public async Task<IReadOnlyList<ExperimentView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Experiments.AsNoTracking().OrderByDescending(e => e.Id).ToListAsync(cancellationToken);
        return [.. rows.Select(View)];
    }

    public async Task<ExperimentView?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.Experiments.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        return row is null ? null : View(row);
    }

    /// <summary>Requests recorded per experiment, for the list.</summary>
    public async Task<IReadOnlyDictionary<long, int>> RequestCountsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.RequestLog.AsNoTracking().Where(r => r.ExperimentId != null)
            .GroupBy(r => r.ExperimentId!.Value).Select(g => new { g.Key, Count = g.Count() })
            .ToDictionaryAsync(x => x.Key, x => x.Count, cancellationToken);
    }

    public async Task<ExperimentChoices> ChoicesAsync(CancellationToken cancellationToken = default)
    {
        var snapshot = routing.Current;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var keys = await db.ApiKeys.AsNoTracking().Where(k => k.RevokedAt == null).OrderBy(k => k.Name).Select(k => new { k.Id, k.Name, k.Team }).ToListAsync(cancellationToken);
        var mapping = await db.TierMappings.AsNoTracking().FirstAsync(m => m.IsDefault, cancellationToken);
        var published = await db.RuleSets.AsNoTracking().Where(r => r.Status == RuleSetStatus.Published).OrderByDescending(r => r.Version).Select(r => r.DefinitionJson).FirstAsync(cancellationToken);
        var definition = JsonSerializer.Deserialize<CostConsole.Routing.Rules.RuleSetDefinition>(published, RoutingJson.Options)!;
        var rules = definition.Rules.Select(r => r.Name);
        // The live mapping: the published rule set's own (a rolled-out arm), else the catalogue's default.
        var defaults = definition.TierMapping?.ToDictionary(kv => kv.Key, kv => kv.Value.ToList())
            ?? JsonSerializer.Deserialize<Dictionary<string, List<string>>>(mapping.TiersJson, RoutingJson.Options)!;
        return new ExperimentChoices(
            snapshot.Tiers,
            [.. snapshot.Models.Select(m => m.Key).Order(StringComparer.Ordinal)],
            [.. keys.Select(k => (k.Id, k.Name, k.Team))],
            [.. keys.Where(k => k.Team != null).Select(k => k.Team!).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase)],
            [.. rules],
            new Dictionary<string, List<string>>(defaults.Select(kv => KeyValuePair.Create(kv.Key, kv.Value.Select(m => Canonical(snapshot, m)).ToList())), StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>A new draft: control = the default mapping (50%), one variant (50%) to be edited.</summary>
    public async Task<ExperimentForm> NewFormAsync(CancellationToken cancellationToken = default)
    {
        var choices = await ChoicesAsync(cancellationToken);
        var control = new ArmForm { Name = "control", Weight = 50, Tiers = choices.DefaultMapping.ToDictionary(kv => kv.Key, kv => kv.Value.ToList(), StringComparer.OrdinalIgnoreCase) };
        return new ExperimentForm { Arms = [control, control.Copy("variant", 50)] };
    }

    public async Task<ExperimentContext> ContextAsync(long? editing, CancellationToken cancellationToken = default)
    {
        var snapshot = routing.Current;
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var names = await db.Experiments.AsNoTracking().Where(e => e.Id != editing).Select(e => e.Name).ToListAsync(cancellationToken);
        return new ExperimentContext(snapshot.Tiers, [.. snapshot.Models.Select(m => m.Key)], names);
    }

    public async Task<ExperimentResult> CreateAsync(ExperimentForm form, string actor, CancellationToken cancellationToken = default)
    {
        if (await ValidateAsync(form, null, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entity = new ExperimentEntity
        {
            Name = form.Name.Trim(),
            Salt = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            ScopeJson = "",
            ArmsJson = "",
            CreatedAt = time.GetUtcNow(),
        };
        Apply(entity, form);
        db.Experiments.Add(entity);
        Audit(db, actor, "experiment.create", entity.Name, Describe(form));
        await db.SaveChangesAsync(cancellationToken);
        return ExperimentResult.Ok(entity.Id);
    }

    /// <summary>Changes a draft or a stopped experiment; a running one must be stopped first.</summary>
    public async Task<ExperimentResult> UpdateAsync(long id, ExperimentForm form, Guid stamp, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entity = await db.Experiments.FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (entity is null)
        {
            return ExperimentResult.Refused("This experiment no longer exists.");
        }

        if (entity.State == ExperimentState.Running)
        {
            return ExperimentResult.Refused("A running experiment cannot be changed: stop it first, then change the split or the arms.");
        }

        if (await ValidateAsync(form, id, cancellationToken) is { } invalid)
        {
            return invalid;
        }

        db.Entry(entity).Property(e => e.ConcurrencyStamp).OriginalValue = stamp;
        entity.Name = form.Name.Trim();
        Apply(entity, form);
        entity.ConcurrencyStamp = Guid.NewGuid();
        Audit(db, actor, "experiment.update", entity.Name, Describe(form));
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return ExperimentResult.Refused(ConflictMessage);
        }

        return ExperimentResult.Ok(id);
    }

    /// <summary>Starts a draft or restarts a stopped experiment, refusing an overlap with a running one.</summary>
    public async Task<ExperimentResult> StartAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entity = await db.Experiments.FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (entity is null)
        {
            return ExperimentResult.Refused("This experiment no longer exists.");
        }

        if (entity.State == ExperimentState.Running)
        {
            return ExperimentResult.Refused("The experiment is already running.");
        }

        if (entity.PromotedArm is not null)
        {
            return ExperimentResult.Refused($"Arm '{entity.PromotedArm}' was promoted to the default mapping; create a new experiment to test further.");
        }

        var running = await db.Experiments.AsNoTracking().Where(e => e.State == ExperimentState.Running).ToListAsync(cancellationToken);
        var keyTeams = await db.ApiKeys.AsNoTracking().Where(k => k.Team != null).ToDictionaryAsync(k => k.Id, k => k.Team!, cancellationToken);
        var scope = ExperimentJson.Scope(entity.ScopeJson);
        foreach (var other in running)
        {
            if (ExperimentRules.Overlap(scope, ExperimentJson.Scope(other.ScopeJson), keyTeams) is { } overlap)
            {
                return ExperimentResult.Refused($"'{other.Name}' is already running on {overlap}. Only one experiment may run per scope: stop it, or narrow this experiment's scope.");
            }
        }

        entity.State = ExperimentState.Running;
        entity.StartedAt ??= time.GetUtcNow();
        entity.StoppedAt = null;
        entity.ConcurrencyStamp = Guid.NewGuid();
        Audit(db, actor, "experiment.start", entity.Name, Describe(View(entity).ToForm()));
        return await CommitAsync(db, id, cancellationToken);
    }

    public async Task<ExperimentResult> StopAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entity = await db.Experiments.FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (entity is not { State: ExperimentState.Running })
        {
            return ExperimentResult.Refused("Only a running experiment can be stopped.");
        }

        entity.State = ExperimentState.Stopped;
        entity.StoppedAt = time.GetUtcNow();
        entity.ConcurrencyStamp = Guid.NewGuid();
        Audit(db, actor, "experiment.stop", entity.Name, null);
        return await CommitAsync(db, id, cancellationToken);
    }

    /// <summary>
    /// Writes an arm's tier mapping into the routing draft (starting one from the live version if there is none),
    /// for review and publishing on the routing page; live routing and the experiment are left as they are.
    /// Refused when the draft or the live version changed since <paramref name="loadedStamp"/> was read, as the
    /// routing editor refuses; audited with the change.
    /// </summary>
    /// <param name="draft">The routing draft (or live version) as the caller loaded it, with its stamp.</param>
    public async Task<CostConsole.Web.Routing.RuleSetResult> RolloutAsync(long id, string arm, CostConsole.Web.Routing.RuleSetVersionView draft, string actor, CancellationToken cancellationToken = default)
    {
        var experiment = await FindAsync(id, cancellationToken);
        if (experiment is null || experiment.State == ExperimentState.Draft)
        {
            return CostConsole.Web.Routing.RuleSetResult.Refused(["Only an experiment that has run can roll out an arm."]);
        }

        var chosen = experiment.Arms.FirstOrDefault(a => string.Equals(a.Name, arm, StringComparison.OrdinalIgnoreCase));
        if (chosen is null)
        {
            return CostConsole.Web.Routing.RuleSetResult.Refused([$"The experiment has no arm '{arm}'."]);
        }

        var mapping = chosen.Tiers.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)[.. kv.Value], StringComparer.OrdinalIgnoreCase);
        return await ruleSets.SaveDraftAsync(
            draft.Definition with { TierMapping = mapping },
            draft.ConcurrencyStamp,
            actor,
            cancellationToken,
            ("experiment.rollout", experiment.Name, $"arm {chosen.Name}'s tier mapping written into the routing draft: {MappingText(chosen.Tiers)}"));
    }

    public async Task<ExperimentResult> DeleteDraftAsync(long id, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entity = await db.Experiments.FirstOrDefaultAsync(e => e.Id == id, cancellationToken);
        if (entity is not { State: ExperimentState.Draft })
        {
            return ExperimentResult.Refused("Only drafts can be deleted; an experiment that ran keeps its results.");
        }

        db.Experiments.Remove(entity);
        Audit(db, actor, "experiment.delete", entity.Name, null);
        await db.SaveChangesAsync(cancellationToken);
        return ExperimentResult.Ok(id);
    }

    /// <summary>The error code of a request a budget refused (see the budget guard).</summary>
    private const string BudgetRefusalCode = "budget_exceeded";

    /// <summary>Every request the experiment routed, with its outcome feedback, oldest first.</summary>
    public async Task<IReadOnlyList<ExperimentSample>> SamplesAsync(long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await (
            from r in db.RequestLog.AsNoTracking()
            where r.ExperimentId == id && r.Arm != null
            join f in db.Feedback.AsNoTracking() on r.RequestId equals f.RequestId into feedback
            from f in feedback.DefaultIfEmpty()
            orderby r.Timestamp
            select new { r.RequestId, r.Timestamp, r.Arm, r.CostNanoUsd, r.LatencyMs, r.Status, r.ErrorCode, r.Fallbacks, r.Escalations, r.Review, Resolved = (bool?)f!.Resolved, Csat = (int?)f!.Csat })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => new ExperimentSample(
            r.RequestId, r.Timestamp, r.Arm!, Money.FromNanoUsd(r.CostNanoUsd), r.LatencyMs, r.Status == (int)LedgerStatus.Answered,
            r.Fallbacks > 0, r.Escalations > 0 || r.Review != (int)ReviewState.None, r.Resolved, r.Csat, r.ErrorCode == BudgetRefusalCode))];
    }

    public async Task<ExperimentResults?> ResultsAsync(long id, CancellationToken cancellationToken = default)
    {
        var experiment = await FindAsync(id, cancellationToken);
        if (experiment is null)
        {
            return null;
        }

        var samples = await SamplesAsync(id, cancellationToken);
        return ExperimentAnalysis.Analyze([.. experiment.Arms.Select(a => (a.Name, a.Weight))], samples, experiment.RequiredPerArm);
    }

    /// <summary>The default tier mapping as it is now, tier → models.</summary>
    public async Task<IReadOnlyDictionary<string, List<string>>> DefaultMappingAsync(CancellationToken cancellationToken = default) =>
        (await ChoicesAsync(cancellationToken)).DefaultMapping;

    private const string ConflictMessage = "Someone changed this experiment since you opened it. Reload to see their changes; yours were not saved.";

    private async Task<ExperimentResult?> ValidateAsync(ExperimentForm form, long? id, CancellationToken cancellationToken)
    {
        var validation = await new ExperimentFormValidator(await ContextAsync(id, cancellationToken)).ValidateAsync(form, cancellationToken);
        return validation.IsValid ? null : ExperimentResult.Refused([.. validation.Errors.Select(e => e.ErrorMessage).Distinct()]);
    }

    private async Task<ExperimentResult> CommitAsync(CostConsoleDbContext db, long id, CancellationToken cancellationToken)
    {
        try
        {
            var broken = await compiler.CommitAsync(db, cancellationToken);
            return broken is null ? ExperimentResult.Ok(id) : ExperimentResult.Refused([.. broken]);
        }
        catch (DbUpdateConcurrencyException)
        {
            return ExperimentResult.Refused(ConflictMessage);
        }
    }

    private static void Apply(ExperimentEntity entity, ExperimentForm form)
    {
        entity.Description = string.IsNullOrWhiteSpace(form.Description) ? null : form.Description.Trim();
        entity.Unit = (int)form.Unit;
        entity.ScopeJson = ExperimentJson.Scope(form.Scope);
        entity.ArmsJson = ExperimentJson.Arms([.. form.Arms.Select(a => new StoredArm(
            a.Name.Trim(),
            a.Weight,
            a.Tiers.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv => kv.Value.ToList())))]);
        entity.BaselineResolution = form.BaselineResolutionPercent / 100;
        entity.MinimumEffectPoints = form.MinimumEffectPoints;
    }

    private void Audit(CostConsoleDbContext db, string actor, string action, string subject, string? details) =>
        db.AuditLog.Add(new AuditLogEntity { At = time.GetUtcNow(), Actor = actor, Action = action, Subject = $"experiment '{subject}'", Details = details });

    private static string Describe(ExperimentForm form) =>
        string.Join("; ", form.Arms.Select(a => $"{a.Name} {a.Weight}%: {MappingText(a.Tiers)}")) + $"; by {form.Unit}";

    public static string MappingText(IReadOnlyDictionary<string, List<string>> tiers) =>
        string.Join(", ", tiers.Select(kv => $"{kv.Key} → {string.Join(" › ", kv.Value)}"));

    private static string Canonical(RoutingSnapshot snapshot, string reference) => snapshot.FindModel(reference)?.Key ?? reference;

    private static ExperimentView View(ExperimentEntity e) => new(
        e.Id, e.Name, e.Description, e.State, (AssignmentUnitKind)e.Unit, ExperimentJson.Scope(e.ScopeJson),
        [.. ExperimentJson.Arms(e.ArmsJson).Select(a => new ArmView(a.Name, a.Weight, a.Tiers))],
        e.BaselineResolution, e.MinimumEffectPoints, e.CreatedAt, e.StartedAt, e.StoppedAt, e.PromotedArm, e.ConcurrencyStamp);
}
