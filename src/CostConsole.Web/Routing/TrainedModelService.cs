using CostConsole.Data;
using CostConsole.Data.Entities;
using CostConsole.Data.Learning;
using CostConsole.Routing.Learning;
using Microsoft.EntityFrameworkCore;

namespace CostConsole.Web.Routing;

/// <summary>
/// Stores trained router models (each as the next version of its name, audited) for rule sets to name. Storing
/// changes no routing: a rule set version that names the model does, once published.
/// </summary>
public sealed class TrainedModelService(IDbContextFactory<CostConsoleDbContext> factory, TimeProvider time)
{
    /// <returns>The model as stored, with its version; rule sets name it by its <see cref="TrainedRouterModel.Reference"/>.</returns>
    public async Task<TrainedRouterModel> StoreAsync(TrainedRouterModel model, string actor, CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var stored = await TrainedModelStore.StoreAsync(db, model, actor, now, cancellationToken);
        db.AuditLog.Add(new AuditLogEntity
        {
            At = now,
            Actor = actor,
            Action = "trained-model.store",
            Subject = $"trained model {stored.Reference}",
            Details = stored.Summary is { } summary ? $"{summary.Examples} examples from {summary.Source}" : null,
        });
        await db.SaveChangesAsync(cancellationToken);
        return stored;
    }

    public async Task<IReadOnlyList<StoredModelView>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        return await TrainedModelStore.ListAsync(db, cancellationToken);
    }
}
