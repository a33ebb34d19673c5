using CostConsole.Data.Ledger;
using CostConsole.Data.Metrics;
using CostConsole.Web.Metrics;
using CostConsole.Web.Requests;
using CostConsole.Web.Traffic;

namespace CostConsole.Web.Extensions;

internal static class MetricsExtensions
{
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSignalR();
        services.AddSingleton<LiveMetrics>();
        var flush = TimeSpan.FromSeconds(builder.Configuration.GetValue("CostConsole:Metrics:FlushSeconds", 2.0));
        services.AddSingleton(sp => new RollupStore(sp.GetRequiredService<CostConsole.Data.Database.CostConsoleDatabase>(), sp.GetRequiredService<TimeProvider>(), flush));
        services.AddHostedService<RollupMaintenance>();
        services.AddHostedService<LiveMetricsTicker>();
        services.AddSingleton<MetricsHistory>();
        services.AddSingleton<RequestExplorer>();
        services.AddSingleton<SpendReport>();
        services.AddSingleton<ConversationView>();
        services.AddSingleton<Views.SavedViewService>();
        services.AddSingleton<Alerts.AlertRuleService>().AddSingleton<Alerts.AlertRuleEvaluator>().AddHostedService<Alerts.AlertRuleSchedule>();
        Alerts.AlertHistoryRegistration.AddAlertHistory(services);
        services.AddSingleton<LedgerExports>();
        services.AddSingleton<DiscountHistory>();
        services.AddSingleton<WhatIfCalculator>();
        services.AddSingleton(SampleWorkload.Load());
        services.AddSingleton<TrafficGenerator>();
        return builder;
    }

    /// <summary>Connects the rollups and the live stream to the ledger and brings the rollups up to date, before the ledger takes requests.</summary>
    public static async Task InitializeMetricsAsync(this WebApplication app)
    {
        var ledger = app.Services.GetRequiredService<LedgerWriter>();
        var store = app.Services.GetRequiredService<RollupStore>();
        ledger.Subscribe(store.Observe);
        ledger.Subscribe(app.Services.GetRequiredService<LiveMetrics>().Observe);
        // Generated traffic stops with the app, before the server stops answering the simulator's calls.
        app.Lifetime.ApplicationStopping.Register(app.Services.GetRequiredService<TrafficGenerator>().Stop);
        var caughtUp = await store.CatchUpAsync();
        Log.RollupsCaughtUp(app.Services.GetRequiredService<ILogger<RollupStore>>(), caughtUp.From, caughtUp.LedgerRows, caughtUp.Took.TotalMilliseconds);
        app.Services.GetRequiredService<StartupSteps>().Done("rollups caught up");
    }

    public static WebApplication MapMetrics(this WebApplication app)
    {
        app.UseWhen(context => context.Request.Path.StartsWithSegments(MetricsHub.Path), branch => branch.UseMiddleware<MetricsHubKeyCheck>());
        app.MapHub<MetricsHub>(MetricsHub.Path);
        app.MapMetricsApi();
        return app;
    }
}

/// <summary>Runs the rollup flush loop for the life of the app and writes what is left at shutdown.</summary>
internal sealed class RollupMaintenance(RollupStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        store.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await store.DisposeAsync();
}
