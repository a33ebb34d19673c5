using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Web.Keys;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Views;

/// <summary>Who is asking: the signed-in user's name and console role.</summary>
public sealed record ViewUser(string Name, string? Role);

/// <summary>A saved view as the menu and the views page show it.</summary>
public sealed record SavedView(long Id, string Name, string Owner, string Page, string Query, string? SharedWithRole, DateTimeOffset UpdatedAt)
{
    /// <summary>The address that opens the view: always a path of this console, never another site.</summary>
    public string Href => Page + Query;

    public string PageName => SavedViewService.PageName(Page);

    public bool IsOwnedBy(ViewUser user) => string.Equals(Owner, user.Name, StringComparison.Ordinal);
}

/// <summary>
/// Saved views: a page's filters under a name, per user, optionally shared with everyone of the owner's role. Names
/// are unique per owner (the database enforces it, so concurrent saves cannot both win); only the owner renames or
/// deletes a view; every change is in the audit log.
/// </summary>
internal sealed class SavedViewService(IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time)
{
    /// <summary>The pages whose filters live in their address, with their names.</summary>
    public static readonly IReadOnlyDictionary<string, string> Pages = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["/"] = "Dashboard",
        ["/spend"] = "Spend",
        ["/requests"] = "Requests",
    };

    /// <summary>Raised after any view is saved, renamed or deleted, so menus can refresh.</summary>
    public event Action? Changed;

    public static string PageName(string page) => Pages.GetValueOrDefault(page, page);

    /// <summary>The user's own views and those shared with their role, by name.</summary>
    public async Task<IReadOnlyList<SavedView>> ListAsync(ViewUser user, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var rows = await db.SavedViews.AsNoTracking()
            .Where(v => v.Owner == user.Name || (user.Role != null && v.SharedWithRole == user.Role))
            .ToListAsync(cancellationToken);
        return [.. rows.Select(ToView).OrderBy(v => v.Name, StringComparer.CurrentCultureIgnoreCase).ThenBy(v => v.Owner, StringComparer.Ordinal)];
    }

    /// <summary>Saves the page's current filters as a new view of <paramref name="user"/>.</summary>
    public async Task<ChangeResult> SaveAsync(ViewUser user, string? name, string page, string? query, bool shareWithRole, CancellationToken cancellationToken = default)
    {
        if (NameError(name) is { } nameError)
        {
            return ChangeResult.Invalid("Name", nameError);
        }

        if (!Pages.ContainsKey(page))
        {
            return ChangeResult.Invalid("Page", $"Views can be saved from the {string.Join(", ", Pages.Values)} pages only.");
        }

        query ??= "";
        if (query.Length > 0 && (query[0] != '?' || query.Contains('#', StringComparison.Ordinal)))
        {
            return ChangeResult.Invalid("Query", "The filters must be a query string starting with '?'.");
        }

        if (query.Length > SavedViewEntity.MaxQuery)
        {
            return ChangeResult.Invalid("Query", $"These filters are too long to save (at most {SavedViewEntity.MaxQuery} characters).");
        }

        if (shareWithRole && user.Role is null)
        {
            return ChangeResult.Invalid("Share", "You have no role to share the view with.");
        }

        var trimmed = name!.Trim();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await db.SavedViews.AnyAsync(v => v.Owner == user.Name && v.Name == trimmed, cancellationToken))
        {
            return Taken(trimmed);
        }

        var now = time.GetUtcNow();
        var entity = new SavedViewEntity
        {
            Name = trimmed,
            Owner = user.Name,
            Page = page,
            Query = query,
            SharedWithRole = shareWithRole ? user.Role : null,
            CreatedAt = now,
            UpdatedAt = now,
        };
        db.SavedViews.Add(entity);
        db.AuditLog.Add(new AuditLogEntity { At = now, Actor = user.Name, Action = "saved-view.create", Subject = trimmed, Details = entity.Href() });
        if (!await TrySaveAsync(db, user.Name, trimmed, cancellationToken))
        {
            return Taken(trimmed);
        }

        Changed?.Invoke();
        return ChangeResult.Ok(entity.Id);
    }

    public async Task<ChangeResult> RenameAsync(ViewUser user, long id, string? name, CancellationToken cancellationToken = default)
    {
        if (NameError(name) is { } nameError)
        {
            return ChangeResult.Invalid("Name", nameError);
        }

        var trimmed = name!.Trim();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entity = await db.SavedViews.FirstOrDefaultAsync(v => v.Id == id, cancellationToken);
        if (entity is null)
        {
            return ChangeResult.Invalid("Name", "This view has been deleted meanwhile.");
        }

        if (entity.Owner != user.Name)
        {
            return ChangeResult.Invalid("Name", $"Only {entity.Owner}, who saved this view, can rename it.");
        }

        if (entity.Name == trimmed)
        {
            return ChangeResult.Ok(entity.Id);
        }

        if (await db.SavedViews.AnyAsync(v => v.Owner == user.Name && v.Name == trimmed && v.Id != id, cancellationToken))
        {
            return Taken(trimmed);
        }

        var old = entity.Name;
        entity.Name = trimmed;
        entity.UpdatedAt = time.GetUtcNow();
        db.AuditLog.Add(new AuditLogEntity { At = entity.UpdatedAt, Actor = user.Name, Action = "saved-view.rename", Subject = trimmed, Details = $"was '{old}'" });
        try
        {
            if (!await TrySaveAsync(db, user.Name, trimmed, cancellationToken))
            {
                return Taken(trimmed);
            }
        }
        catch (DbUpdateConcurrencyException)
        {
            return ChangeResult.Invalid("Name", "This view has been deleted meanwhile.");
        }

        Changed?.Invoke();
        return ChangeResult.Ok(entity.Id);
    }

    public async Task<ChangeResult> DeleteAsync(ViewUser user, long id, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entity = await db.SavedViews.FirstOrDefaultAsync(v => v.Id == id, cancellationToken);
        if (entity is null)
        {
            return ChangeResult.Invalid("Name", "This view has been deleted meanwhile.");
        }

        if (entity.Owner != user.Name)
        {
            return ChangeResult.Invalid("Name", $"Only {entity.Owner}, who saved this view, can delete it.");
        }

        db.SavedViews.Remove(entity);
        db.AuditLog.Add(new AuditLogEntity { At = time.GetUtcNow(), Actor = user.Name, Action = "saved-view.delete", Subject = entity.Name });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Deleted by another tab at the same moment: the view is gone either way.
        }

        Changed?.Invoke();
        return ChangeResult.Ok(id);
    }

    private static string? NameError(string? name) => string.IsNullOrWhiteSpace(name)
        ? "Give the view a name."
        : name.Trim().Length > SavedViewEntity.MaxName
            ? $"A view's name has at most {SavedViewEntity.MaxName} characters."
            : null;

    private static ChangeResult Taken(string name) => ChangeResult.Invalid("Name", $"You already have a view named '{name}'. Choose another name.");

    /// <summary>False when the unique name index refused the change: another save took the name first.</summary>
    private async Task<bool> TrySaveAsync(CostConsoleDbContext db, string owner, string name, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex) when (ex is not DbUpdateConcurrencyException)
        {
            // Only a name taken meanwhile is the user's to fix; any other failure is the database's.
            await using var check = await factory.CreateDbContextAsync(cancellationToken);
            if (await check.SavedViews.AnyAsync(v => v.Owner == owner && v.Name == name, cancellationToken))
            {
                return false;
            }

            throw;
        }
    }

    private static SavedView ToView(SavedViewEntity v) => new(v.Id, v.Name, v.Owner, v.Page, v.Query, v.SharedWithRole, v.UpdatedAt);
}

internal static class SavedViewEntityExtensions
{
    public static string Href(this SavedViewEntity view) => view.Page + view.Query;
}
