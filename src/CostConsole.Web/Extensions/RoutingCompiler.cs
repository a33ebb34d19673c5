using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Embeddings;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Rules;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Extensions;

/// <summary>
/// Compiles what the database holds into a routing snapshot. Changes to the catalogue or the rule sets are
/// checked through <see cref="CommitAsync"/>: saved and compiled in one transaction, committed only if routing
/// still compiles, and then published, so a change that would break routing writes nothing.
/// </summary>
/// <param name="embedder">The local sentence model for rule sets whose semantic classifier uses MiniLM; without it they do not compile.</param>
public sealed class RoutingCompiler(IOptions<CostConsoleOptions> options, ISecretProtector protector, RoutingState routing, IModelInvoker invoker, TimeProvider time, IEmbedder? embedder = null)
{
    /// <param name="ruleSet">A rule set to compile instead of the published one (a draft), with its version.</param>
    public async Task<RoutingSnapshot> CompileAsync(CostConsoleDbContext db, (RuleSetDefinition Definition, int Version)? ruleSet = null, CancellationToken cancellationToken = default)
    {
        var config = await RoutingConfigLoader.LoadAsync(db, options.Value, protector, cancellationToken, ruleSet);
        return SnapshotCompiler.Compile(config, time.GetUtcNow(), invoker, embedder);
    }

    /// <summary>Saves <paramref name="db"/>'s changes and publishes the result, or rolls back and returns why routing would break.</summary>
    /// <exception cref="DbUpdateConcurrencyException">Someone else changed a guarded row; nothing was written.</exception>
    public async Task<IReadOnlyList<string>?> CommitAsync(CostConsoleDbContext db, CancellationToken cancellationToken)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        RoutingSnapshot snapshot;
        try
        {
            snapshot = await CompileAsync(db, null, cancellationToken);
        }
        catch (RoutingConfigException ex)
        {
            await transaction.RollbackAsync(cancellationToken);
            return ex.Errors;
        }

        await transaction.CommitAsync(cancellationToken);
        routing.Publish(snapshot);
        return null;
    }
}
