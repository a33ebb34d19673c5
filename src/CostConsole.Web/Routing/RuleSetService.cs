using System.Text.Json;
using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Rules;
using CostConsole.Web.Extensions;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Routing;

public sealed record RuleSetVersionView(
    long Id,
    int Version,
    RuleSetStatus Status,
    string? Author,
    string? Note,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt,
    RuleSetDefinition Definition,
    Guid ConcurrencyStamp);

public sealed record AuditView(DateTimeOffset At, string Actor, string Action, string Subject, string? Details);

/// <summary>The outcome of a change to the draft or of a publish: done, refused with reasons, or a conflict.</summary>
public sealed record RuleSetResult(bool Done, IReadOnlyList<string> Errors, string? Conflict = null, RuleSetVersionView? Version = null)
{
    public static RuleSetResult Ok(RuleSetVersionView version) => new(true, [], null, version);

    public static RuleSetResult Refused(IReadOnlyList<string> errors) => new(false, errors);

    public static RuleSetResult Conflicted(string message) => new(false, [], message);

    public string Summary => Conflict ?? string.Join(" ", Errors);
}

/// <summary>
/// Rule set versions. Edits go to the one draft (stored as version 0, so there cannot be two); publishing
/// turns it into the next version and swaps the router's snapshot; rolling back republishes an old version as
/// a new one. Every publish and rollback is compiled before it commits and is written to the audit log.
/// </summary>
public sealed class RuleSetService(IDbContextFactory<CostConsoleDbContext> factory, RoutingCompiler compiler, TimeProvider time)
{
    private const int DraftVersion = 0;

    public async Task<RuleSetVersionView> PublishedAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return View(await PublishedEntityAsync(db, cancellationToken));
    }

    /// <summary>
    /// The draft, or the published version when nobody has changed anything since it was published: looking
    /// writes nothing, so a draft exists only after a change. Save with the returned stamp either way.
    /// </summary>
    /// <param name="author">Who is looking; kept for callers, nothing is recorded until they save.</param>
    public async Task<RuleSetVersionView> DraftAsync(string author, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var draft = await db.RuleSets.AsNoTracking().FirstOrDefaultAsync(r => r.Status == RuleSetStatus.Draft, cancellationToken);
        return View(draft ?? await PublishedEntityAsync(db, cancellationToken));
    }

    /// <summary>
    /// Saves the whole draft if it compiles, and only if nobody changed what <paramref name="loadedStamp"/> was
    /// loaded from: the draft, or (for the first change) the published version, which starts the draft.
    /// </summary>
    /// <param name="audit">An audit entry written with the change (in the same save), for changes made from elsewhere than the editor.</param>
    public async Task<RuleSetResult> SaveDraftAsync(RuleSetDefinition definition, Guid loadedStamp, string author, CancellationToken cancellationToken = default, (string Action, string Subject, string Details)? audit = null)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await CheckAsync(db, definition, cancellationToken) is { } errors)
        {
            return RuleSetResult.Refused(errors);
        }

        var draft = await db.RuleSets.FirstOrDefaultAsync(r => r.Status == RuleSetStatus.Draft, cancellationToken);
        if (draft is null)
        {
            return await StartDraftAsync(db, definition, loadedStamp, author, audit, cancellationToken);
        }

        if (draft.ConcurrencyStamp != loadedStamp)
        {
            return RuleSetResult.Conflicted(Conflict(draft));
        }

        db.Entry(draft).Property(r => r.ConcurrencyStamp).OriginalValue = loadedStamp;
        draft.ConcurrencyStamp = Guid.NewGuid();
        draft.DefinitionJson = JsonSerializer.Serialize(definition, RoutingJson.Options);
        draft.Author = author;
        draft.CreatedAt = time.GetUtcNow();
        if (audit is { } entry)
        {
            Audit(db, author, entry.Action, entry.Subject, entry.Details);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return RuleSetResult.Conflicted(Conflict(draft));
        }

        return RuleSetResult.Ok(View(draft));
    }

    public async Task<RuleSetResult> DiscardDraftAsync(Guid loadedStamp, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var draft = await db.RuleSets.FirstOrDefaultAsync(r => r.Status == RuleSetStatus.Draft, cancellationToken);
        if (draft is null || draft.ConcurrencyStamp != loadedStamp)
        {
            return RuleSetResult.Conflicted(Conflict(draft));
        }

        db.RuleSets.Remove(draft);
        await db.SaveChangesAsync(cancellationToken);
        return RuleSetResult.Ok(View(draft));
    }

    /// <summary>Makes the draft the live rule set: the router swaps its snapshot; requests in flight finish on the old one.</summary>
    public async Task<RuleSetResult> PublishAsync(Guid loadedStamp, string note, string author, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(note))
        {
            return RuleSetResult.Refused(["Say in a note what this version changes and why; it is kept in the history and the audit log."]);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var draft = await db.RuleSets.FirstOrDefaultAsync(r => r.Status == RuleSetStatus.Draft, cancellationToken);
        if (draft is null || draft.ConcurrencyStamp != loadedStamp)
        {
            return RuleSetResult.Conflicted(Conflict(draft));
        }

        db.Entry(draft).Property(r => r.ConcurrencyStamp).OriginalValue = loadedStamp;
        var version = await NextVersionAsync(db, cancellationToken);
        await ArchivePublishedAsync(db, cancellationToken);
        draft.Version = version;
        draft.Status = RuleSetStatus.Published;
        draft.PublishedAt = time.GetUtcNow();
        draft.Author = author;
        draft.Note = note.Trim();
        draft.ConcurrencyStamp = Guid.NewGuid();
        Audit(db, author, "rule-set.publish", $"rule set version {version}", note.Trim());
        return await CommitAsync(db, draft, cancellationToken);
    }

    /// <summary>
    /// Republishes an old version as a new one; history keeps every version as it was. The draft is discarded
    /// with it, so the next publish cannot re-ship the change that was rolled back.
    /// </summary>
    public async Task<RuleSetResult> RollbackAsync(int toVersion, string author, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var old = await db.RuleSets.AsNoTracking().FirstOrDefaultAsync(r => r.Version == toVersion && r.Status != RuleSetStatus.Draft, cancellationToken);
        if (old is null)
        {
            return RuleSetResult.Refused([$"There is no version {toVersion} to roll back to."]);
        }

        var version = await NextVersionAsync(db, cancellationToken);
        await ArchivePublishedAsync(db, cancellationToken);
        var now = time.GetUtcNow();
        var restored = new RuleSetEntity
        {
            Version = version,
            Status = RuleSetStatus.Published,
            DefinitionJson = old.DefinitionJson,
            Author = author,
            Note = $"rollback to version {toVersion}",
            CreatedAt = now,
            PublishedAt = now,
        };
        db.RuleSets.Add(restored);
        var draft = await db.RuleSets.FirstOrDefaultAsync(r => r.Status == RuleSetStatus.Draft, cancellationToken);
        if (draft is not null)
        {
            db.RuleSets.Remove(draft);
        }

        Audit(db, author, "rule-set.rollback", $"rule set version {version}", $"republished version {toVersion}" + (draft is null ? "" : "; the unpublished draft was discarded"));
        return await CommitAsync(db, restored, cancellationToken);
    }

    /// <summary>The catalogue's default tier mapping, which serves every rule set that does not bring its own.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> DefaultMappingAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var mapping = await db.TierMappings.AsNoTracking().FirstAsync(m => m.IsDefault, cancellationToken);
        return JsonSerializer.Deserialize<Dictionary<string, List<string>>>(mapping.TiersJson, RoutingJson.Options)!
            .ToDictionary(kv => kv.Key, kv => (IReadOnlyList<string>)kv.Value, StringComparer.OrdinalIgnoreCase);
    }

    public async Task<IReadOnlyList<RuleSetVersionView>> HistoryAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var versions = await db.RuleSets.AsNoTracking().Where(r => r.Status != RuleSetStatus.Draft).OrderByDescending(r => r.Version).ToListAsync(cancellationToken);
        return [.. versions.Select(View)];
    }

    public async Task<IReadOnlyList<AuditView>> AuditAsync(int take = 50, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.AuditLog.AsNoTracking().OrderByDescending(a => a.Id).Take(take)
            .Select(a => new AuditView(a.At, a.Actor, a.Action, a.Subject, a.Details)).ToListAsync(cancellationToken);
    }

    /// <summary>Compiles a rule set against the current catalogue, as publishing would.</summary>
    /// <exception cref="RoutingConfigException">It would not compile; the errors say why.</exception>
    public async Task<RoutingSnapshot> CompileAsync(RuleSetDefinition definition, int version, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await compiler.CompileAsync(db, (definition, version), cancellationToken);
    }

    /// <summary>The first change since a publish: the draft starts from the published version the editor loaded, if it is still the live one.</summary>
    private async Task<RuleSetResult> StartDraftAsync(CostConsoleDbContext db, RuleSetDefinition definition, Guid loadedStamp, string author, (string Action, string Subject, string Details)? audit, CancellationToken cancellationToken)
    {
        var published = await PublishedEntityAsync(db, cancellationToken);
        if (published.ConcurrencyStamp != loadedStamp)
        {
            return RuleSetResult.Conflicted(Conflict(null));
        }

        var draft = new RuleSetEntity
        {
            Version = DraftVersion,
            Status = RuleSetStatus.Draft,
            DefinitionJson = JsonSerializer.Serialize(definition, RoutingJson.Options),
            Author = author,
            Note = $"draft from version {published.Version}",
            CreatedAt = time.GetUtcNow(),
        };
        db.RuleSets.Add(draft);
        if (audit is { } entry)
        {
            Audit(db, author, entry.Action, entry.Subject, entry.Details);
        }

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Someone else started the draft at the same moment.
            await using var again = await factory.CreateDbContextAsync(cancellationToken);
            return RuleSetResult.Conflicted(Conflict(await again.RuleSets.AsNoTracking().FirstOrDefaultAsync(r => r.Status == RuleSetStatus.Draft, cancellationToken)));
        }

        return RuleSetResult.Ok(View(draft));
    }

    private async Task<IReadOnlyList<string>?> CheckAsync(CostConsoleDbContext db, RuleSetDefinition definition, CancellationToken cancellationToken)
    {
        try
        {
            await compiler.CompileAsync(db, (definition, DraftVersion), cancellationToken);
            return null;
        }
        catch (RoutingConfigException ex)
        {
            return ex.Errors;
        }
    }

    private async Task<RuleSetResult> CommitAsync(CostConsoleDbContext db, RuleSetEntity version, CancellationToken cancellationToken)
    {
        try
        {
            var broken = await compiler.CommitAsync(db, cancellationToken);
            return broken is null ? RuleSetResult.Ok(View(version)) : RuleSetResult.Refused(broken);
        }
        catch (DbUpdateConcurrencyException)
        {
            return RuleSetResult.Conflicted(Conflict(version));
        }
    }

    private static async Task<RuleSetEntity> PublishedEntityAsync(CostConsoleDbContext db, CancellationToken cancellationToken) =>
        await db.RuleSets.AsNoTracking().Where(r => r.Status == RuleSetStatus.Published).OrderByDescending(r => r.Version).FirstAsync(cancellationToken);

    private static async Task<int> NextVersionAsync(CostConsoleDbContext db, CancellationToken cancellationToken) =>
        (await db.RuleSets.Where(r => r.Status != RuleSetStatus.Draft).MaxAsync(r => (int?)r.Version, cancellationToken) ?? 0) + 1;

    private static async Task ArchivePublishedAsync(CostConsoleDbContext db, CancellationToken cancellationToken)
    {
        foreach (var published in await db.RuleSets.Where(r => r.Status == RuleSetStatus.Published).ToListAsync(cancellationToken))
        {
            published.Status = RuleSetStatus.Archived;
        }
    }

    private void Audit(CostConsoleDbContext db, string actor, string action, string subject, string? details) =>
        db.AuditLog.Add(new AuditLogEntity { At = time.GetUtcNow(), Actor = actor, Action = action, Subject = subject, Details = details });

    private static string Conflict(RuleSetEntity? draft) => draft is null
        ? "The rule set was published, rolled back or discarded by someone else since you loaded it. Reload to start from the live rule set; your change was not saved."
        : $"{draft.Author ?? "Someone"} saved the draft since you loaded it. Reload to see their changes; yours were not saved.";

    private static RuleSetVersionView View(RuleSetEntity e) => new(
        e.Id, e.Version, e.Status, e.Author, e.Note, e.CreatedAt, e.PublishedAt,
        JsonSerializer.Deserialize<RuleSetDefinition>(e.DefinitionJson, RoutingJson.Options)!,
        e.ConcurrencyStamp);
}
