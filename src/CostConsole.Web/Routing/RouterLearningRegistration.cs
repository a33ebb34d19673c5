using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CostConsole.Web.Routing;

/// <summary>Training from the ledger, proposals, auto-publish and scheduled retraining.</summary>
internal static class RouterLearningRegistration
{
    public static void Add(IServiceCollection services)
    {
        services.AddOptions<RouterRetrainOptions>().BindConfiguration(RouterRetrainOptions.Section)
            .Validate(o => o.Window > TimeSpan.Zero && o.MinimumExamples >= 10 && o.LeaseSeconds > 0,
                "CostConsole:Router:Retrain needs a positive Window, MinimumExamples of at least 10 and a positive LeaseSeconds.")
            .ValidateOnStart();
        services.TryAddSingleton<LedgerTrainingData>();
        services.TryAddSingleton<RouterRetraining>();
        services.AddHostedService<RouterRetrainSchedule>();
    }
}
