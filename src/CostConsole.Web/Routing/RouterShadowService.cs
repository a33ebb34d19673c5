using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Learning;
using CostConsole.Routing.Learning;
using CostConsole.Routing.Rules;
using CostConsole.Web.Extensions;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Routing;

/// <summary>What to put in shadow: a trained model (name@version) and the operating point it decides at.</summary>
public sealed record ShadowSettings
{
    public string Model { get; init; } = "";

    public TrainedPolicy Policy { get; init; } = TrainedPolicy.QualityTarget;

    public double QualityTarget { get; init; } = TrainedClassifierDefinition.DefaultQualityTarget;

    public double Lambda { get; init; } = TrainedClassifierDefinition.DefaultLambda;
}

/// <summary>The shadow in force: who started it, when, and at which operating point.</summary>
public sealed record ShadowView(long Id, string Model, TrainedPolicy Policy, double QualityTarget, double Lambda, string StartedBy, DateTimeOffset StartedAt);

public sealed record ShadowResult(bool Done, IReadOnlyList<string> Errors, ShadowView? Shadow = null)
{
    /// <summary>Refused because no stored or shipped model has that name@version.</summary>
    public bool UnknownModel { get; init; }

    public static ShadowResult Ok(ShadowView? shadow) => new(true, [], shadow);

    public static ShadowResult Refused(params IReadOnlyList<string> errors) => new(false, errors);

    public string Summary => string.Join(" ", Errors);
}

/// <summary>
/// Puts a stored or shipped trained model in shadow and stops it. Both are saved, audited and compiled into the live
/// routing snapshot in one step (refused, with nothing written, when the model cannot be compiled against the live
/// tiers), so every instance picks them up with the next routing change notification and a restart keeps them.
/// </summary>
public sealed class RouterShadowService(IDbContextFactory<CostConsoleDbContext> factory, RoutingCompiler compiler, TimeProvider time)
{
    public async Task<ShadowView?> ActiveAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await ShadowStore.ActiveRowAsync(db, cancellationToken) is { } row ? View(row) : null;
    }

    /// <summary>Starts <paramref name="settings"/>' model in shadow, replacing any shadow in force.</summary>
    public async Task<ShadowResult> StartAsync(ShadowSettings settings, string actor, CancellationToken cancellationToken = default)
    {
        var reference = settings.Model.Trim();
        if (reference.Length == 0 || !TrainedModelStore.TryParse(reference, out var name, out var version))
        {
            return ShadowResult.Refused($"Name the trained model as name@version (e.g. {ShippedModels.Support}); got '{settings.Model}'.");
        }

        if (!(settings.QualityTarget is > 0 and <= 1))
        {
            return ShadowResult.Refused($"The quality target {settings.QualityTarget} is out of range; use a probability above 0 and at most 1 (e.g. {TrainedClassifierDefinition.DefaultQualityTarget}).");
        }

        if (!(settings.Lambda is >= 0 and <= 100))
        {
            return ShadowResult.Refused($"λ is {settings.Lambda}; use a value from 0 to 100 (e.g. {TrainedClassifierDefinition.DefaultLambda}).");
        }

        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (ShippedModels.Find(reference) is null && !await db.TrainedModels.AnyAsync(m => m.Name == name && m.Version == version, cancellationToken))
        {
            var stored = await db.TrainedModels.AsNoTracking().OrderByDescending(m => m.StoredAt).Take(5).Select(m => m.Name + "@" + m.Version).ToListAsync(cancellationToken);
            return ShadowResult.Refused($"The trained model '{reference}' does not exist. Shipped: {string.Join(", ", ShippedModels.Names)}"
                + (stored.Count == 0 ? "; none stored yet (train one under Routing › Training, or POST /api/router/train with save=true)." : $"; stored, newest first: {string.Join(", ", stored)}.")) with { UnknownModel = true };
        }

        var now = time.GetUtcNow();
        var previous = await ShadowStore.ActiveRowAsync(db, cancellationToken);
        if (previous is not null)
        {
            previous.StoppedAt = now;
            previous.StoppedBy = actor;
        }

        var row = new RouterShadowEntity
        {
            Model = reference,
            Policy = (int)settings.Policy,
            QualityTarget = settings.QualityTarget,
            Lambda = settings.Lambda,
            StartedBy = actor,
            StartedAt = now,
        };
        db.RouterShadows.Add(row);
        db.AuditLog.Add(new AuditLogEntity
        {
            At = now,
            Actor = actor,
            Action = "router-shadow.start",
            Subject = $"trained model {reference} in shadow",
            Details = Describe(settings) + (previous is null ? "" : $"; replaces {previous.Model}"),
        });

        var broken = await compiler.CommitAsync(db, cancellationToken);
        return broken is null ? ShadowResult.Ok(View(row)) : ShadowResult.Refused(broken);
    }

    /// <returns>The shadow that was stopped, or null when none was in force.</returns>
    public async Task<ShadowView?> StopAsync(string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (await ShadowStore.ActiveRowAsync(db, cancellationToken) is not { } row)
        {
            return null;
        }

        var now = time.GetUtcNow();
        row.StoppedAt = now;
        row.StoppedBy = actor;
        db.AuditLog.Add(new AuditLogEntity { At = now, Actor = actor, Action = "router-shadow.stop", Subject = $"trained model {row.Model} in shadow" });
        var broken = await compiler.CommitAsync(db, cancellationToken);
        return broken is null ? View(row) : throw new InvalidOperationException("Routing does not compile without the shadow: " + string.Join("; ", broken));
    }

    /// <summary>The most recent shadow, running or stopped, whose comparison the routing page shows.</summary>
    public async Task<(ShadowView View, DateTimeOffset? StoppedAt)?> LatestAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var row = await db.RouterShadows.AsNoTracking().OrderByDescending(s => s.Id).FirstOrDefaultAsync(cancellationToken);
        return row is null ? null : (View(row), row.StoppedAt);
    }

    private static string Describe(ShadowSettings settings) => settings.Policy == TrainedPolicy.QualityTarget
        ? $"cheapest tier reaching quality target {settings.QualityTarget:0.00#}"
        : $"best P(acceptable) − {settings.Lambda:0.###} × cost";

    private static ShadowView View(RouterShadowEntity row) =>
        new(row.Id, row.Model, (TrainedPolicy)row.Policy, row.QualityTarget, row.Lambda, row.StartedBy, row.StartedAt);
}
