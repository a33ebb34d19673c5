using CostConsole.Data;
using CostConsole.Data.Catalogue;
using CostConsole.Data.Database;
using CostConsole.Routing.Classification;
using CostConsole.Routing.Decisions;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Tokens;
using CostConsole.Web.Api;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Extensions;

internal static class RoutingExtensions
{
    public static WebApplicationBuilder AddCostConsoleRouting(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton<ITokenCounter>(O200kTokenCounter.Instance);
        services.TryAddSingleton<RoutingState>();
        services.TryAddSingleton<ILocalServerAddress, LocalServerAddress>();
        services.TryAddSingleton<IModelInvoker>(sp => new Batches.UpstreamBatchAnswers(UpstreamInvokers.Create(sp.GetRequiredService<ILocalServerAddress>(), sp.GetRequiredService<ITokenCounter>())));
        services.TryAddSingleton<IAdmissionControl>(AdmitAll.Instance);
        services.TryAddSingleton(sp => new DeploymentResilience(sp.GetRequiredService<TimeProvider>()));
        services.AddOptions<CostConsole.Routing.Affinity.ConversationAffinityOptions>().BindConfiguration(CostConsole.Routing.Affinity.ConversationAffinityOptions.Section)
            .Validate(o => o.Problem() is null, $"{CostConsole.Routing.Affinity.ConversationAffinityOptions.Section} is not valid: Window must be more than zero and at most one day, MinCachedTokens not negative, MaxConversations at least 1.")
            .ValidateOnStart();
        services.TryAddSingleton(sp => new CostConsole.Routing.Affinity.ConversationAffinity(sp.GetRequiredService<IOptions<CostConsole.Routing.Affinity.ConversationAffinityOptions>>().Value));
        services.TryAddSingleton<ChatPipeline>();
        services.TryAddSingleton<EmbeddingsPipeline>();
        services.TryAddSingleton<ApiKeyDirectory>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RoutingCompiler>();
        services.TryAddSingleton<RoutingPublisher>();
        services.TryAddSingleton<StartupSteps>();
        services.TryAddSingleton<CostConsole.Web.Routing.RouterTrainingService>();
        services.TryAddSingleton<CostConsole.Web.Routing.TrainedModelService>();
        services.TryAddSingleton<CostConsole.Web.Routing.RouterShadowService>();
        services.TryAddSingleton<CostConsole.Web.Routing.ShadowComparer>();
        CostConsole.Web.Routing.RouterLearningRegistration.Add(services);
        services.AddHealthChecks();
        return builder;
    }

    /// <summary>Creates or migrates the database, applies configuration, and publishes the first routing snapshot.</summary>
    public static async Task InitializeCostConsoleAsync(this WebApplication app)
    {
        var services = app.Services;
        var steps = services.GetRequiredService<StartupSteps>();
        steps.Done("host built");
        app.Lifetime.ApplicationStarted.Register(() => steps.Done("listening"));

        // The o200k tokenizer (a few hundred ms of CPU to load) loads on the second core while the database is prepared;
        // a request that comes before it is ready waits for it, so every answer is counted and routed by the real thing.
        var tokens = services.GetRequiredService<ITokenCounter>();
        _ = Task.Run(() => tokens.CountTokens("start-up"));
        var factory = services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>();
        var options = services.GetRequiredService<IOptions<CostConsoleOptions>>().Value;
        await using (var db = await factory.CreateDbContextAsync())
        {
            await services.GetRequiredService<CostConsole.Data.Database.CostConsoleDatabase>().RunStartupAsync(async () =>
            {
                var schema = await SchemaUpdate.ApplyAsync(db, steps.Done);
                steps.Done(schema == SchemaUpdateKind.CreatedInOneStep ? "schema created in one step" : "schema migrated");
                if (db.Database.IsSqlite())
                {
                    await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;");
                }

                await CatalogueSeeder.ApplyAsync(db, options, services.GetRequiredService<ISecretProtector>(), DateTimeOffset.UtcNow);
                steps.Done("catalogue seeded");
            });
        }

        await services.GetRequiredService<RoutingPublisher>().ReloadAsync();
        steps.Done("routing snapshot published");
        await services.GetRequiredService<ApiKeyDirectory>().ReloadAsync();
        steps.Done("API keys loaded");
    }
}

/// <summary>Loads the routing configuration from the database, compiles it and swaps it in.</summary>
internal sealed partial class RoutingPublisher(IDbContextFactory<CostConsoleDbContext> factory, RoutingCompiler compiler, RoutingState state, ILogger<RoutingPublisher> logger)
{
    /// <exception cref="RoutingConfigException">The stored configuration does not compile; the live snapshot is kept.</exception>
    public async Task<RoutingSnapshot> ReloadAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var snapshot = await compiler.CompileAsync(db, null, cancellationToken);
        state.Publish(snapshot);

        // A vectoriser that cannot run (the local model failed to load) must not stop the process: requests no rule
        // decides go to the default tier, the trace says why, and this says it once at start.
        if (snapshot.Classifier is IVectorisedClassifier { ExampleError: { } error } classifier)
        {
            VectoriserUnavailable(logger, classifier.Vectoriser, error, snapshot.DefaultTier);
        }

        return snapshot;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The semantic classifier's vectoriser {Vectoriser} cannot run: {Error}. Requests no rule decides go to the default tier {DefaultTier} until it can; choose another vectoriser under Routing › Classifier.")]
    private static partial void VectoriserUnavailable(ILogger logger, string vectoriser, string error, string defaultTier);
}
