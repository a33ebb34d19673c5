using System.Globalization;
using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Routing.Decisions;
using CostConsole.Web.Keys;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Budgets;

/// <summary>Budgets: saved, validated against the catalogue and the keys, and applied to admission at once.</summary>
internal sealed class BudgetService(IDbContextFactory<CostConsoleDbContext> factory, BudgetGuard guard, RoutingState routing, TimeProvider time)
{
    private readonly BudgetFormValidator _validator = new();

    public async Task<IReadOnlyList<BudgetEntity>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await db.Budgets.AsNoTracking().OrderBy(b => b.Name).ToListAsync(cancellationToken);
    }

    /// <summary>Current spend, reservations and period of every enabled budget.</summary>
    public IReadOnlyList<BudgetState> States() => guard.States();

    public async Task<ChangeResult> SaveAsync(BudgetForm form, string author, CancellationToken cancellationToken = default)
    {
        var validation = await _validator.ValidateAsync(form, cancellationToken);
        if (!validation.IsValid)
        {
            return ChangeResult.Invalid(validation);
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var scopeValue = form.Scope == BudgetScope.Global ? null : form.ScopeValue!.Trim();
        if (await ScopeErrorAsync(db, form.Scope, scopeValue, cancellationToken) is { } scopeError)
        {
            return ChangeResult.Invalid(nameof(BudgetForm.ScopeValue), scopeError);
        }

        var name = form.Name.Trim();
        if (await db.Budgets.AnyAsync(b => b.Name == name && b.Id != (form.Id ?? 0), cancellationToken))
        {
            return ChangeResult.Invalid(nameof(BudgetForm.Name), $"A budget is already named '{name}'.");
        }

        var now = time.GetUtcNow();
        BudgetEntity? entity;
        if (form.Id is { } id)
        {
            entity = await db.Budgets.FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
            if (entity is null)
            {
                return ChangeResult.Invalid(nameof(BudgetForm.Name), "This budget has been deleted meanwhile.");
            }
        }
        else
        {
            entity = new BudgetEntity { Name = name, AlertThresholds = "", CreatedAt = now };
            db.Budgets.Add(entity);
        }

        entity.Name = name;
        entity.Scope = form.Scope;
        entity.ScopeValue = scopeValue;
        entity.Period = form.Period;
        entity.LimitNanoUsd = BudgetGuard.ToNano(form.LimitUsd!.Value);
        entity.AlertThresholds = string.Join(',', BudgetFormValidator.ParseThresholds(form.Thresholds)!);
        entity.WebhookUrl = string.IsNullOrWhiteSpace(form.WebhookUrl) ? null : form.WebhookUrl.Trim();
        entity.Strict = form.Strict;
        entity.Enabled = form.Enabled;
        entity.UpdatedAt = now;
        entity.UpdatedBy = author;
        db.AuditLog.Add(new AuditLogEntity { At = now, Actor = author, Action = form.Id is null ? "budget.create" : "budget.update", Subject = name });
        await db.SaveChangesAsync(cancellationToken);
        await guard.ApplyChangesAsync(cancellationToken);
        return ChangeResult.Ok(entity.Id);
    }

    public async Task<bool> DeleteAsync(long id, string author, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var entity = await db.Budgets.FirstOrDefaultAsync(b => b.Id == id, cancellationToken);
        if (entity is null)
        {
            return false;
        }

        db.Budgets.Remove(entity);
        db.AuditLog.Add(new AuditLogEntity { At = time.GetUtcNow(), Actor = author, Action = "budget.delete", Subject = entity.Name });
        await db.SaveChangesAsync(cancellationToken);
        await guard.ApplyChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>What a scope value may be: a known team, an active key id, a tier or a catalogue model.</summary>
    public async Task<IReadOnlyList<(string Value, string Label)>> ScopeChoicesAsync(BudgetScope scope, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var snapshot = routing.Current;
        switch (scope)
        {
            case BudgetScope.Team:
                var teams = await db.ApiKeys.Where(k => k.Team != null && k.RevokedAt == null).Select(k => k.Team!).Distinct().OrderBy(t => t).ToListAsync(cancellationToken);
                return [.. teams.Select(t => (t, t))];
            case BudgetScope.Key:
                var keys = await db.ApiKeys.Where(k => k.RevokedAt == null).OrderBy(k => k.Name).Select(k => new { k.Id, k.Name, k.Prefix }).ToListAsync(cancellationToken);
                return [.. keys.Select(k => (k.Id.ToString(CultureInfo.InvariantCulture), $"{k.Name} ({k.Prefix}…)"))];
            case BudgetScope.Tier:
                return [.. snapshot.Tiers.Select(t => (t, t))];
            case BudgetScope.Model:
                return [.. snapshot.Models.Select(m => m.Key).Distinct().Order().Select(m => (m, m))];
            default:
                return [];
        }
    }

    private async Task<string?> ScopeErrorAsync(CostConsoleDbContext db, BudgetScope scope, string? value, CancellationToken cancellationToken)
    {
        var snapshot = routing.Current;
        return scope switch
        {
            BudgetScope.Global => null,
            BudgetScope.Team => await db.ApiKeys.AnyAsync(k => k.Team == value, cancellationToken) ? null : $"No API key belongs to a team '{value}'. Create a key for the team first.",
            BudgetScope.Key => long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && await db.ApiKeys.AnyAsync(k => k.Id == id && k.RevokedAt == null, cancellationToken)
                ? null : $"'{value}' is not an active API key.",
            BudgetScope.Tier => snapshot.IsTier(value!) ? null : $"'{value}' is not a tier. Tiers: {string.Join(", ", snapshot.Tiers)}.",
            BudgetScope.Model => snapshot.Models.Any(m => m.Key == value) ? null : $"'{value}' is not a model in the catalogue.",
            _ => "Unknown scope.",
        };
    }
}
