using System.Diagnostics.Metrics;
using CostConsole.Data.Ledger;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Telemetry;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CostConsole.Web.Telemetry;

internal static class TelemetryExtensions
{
    /// <summary>
    /// Traces and metrics under the OpenTelemetry GenAI conventions' names. The engine and the host always measure (at
    /// next to no cost while nothing listens); the SDK and its exporters are added only when OTLP or Prometheus is configured.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section)
            .Validate(o => o.IsValid(out _), "CostConsole:Telemetry has a setting that cannot be used; see the README's telemetry section.")
            .ValidateOnStart();
        var settings = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

        services.AddSingleton(sp => new PipelineTelemetry(sp.GetRequiredService<IMeterFactory>(), settings.IncludeContent));

        // Every request writes one ledger row: it is measured there, once committed.
        services.AddSingleton<ILedger>(sp => new MeasuredLedger(sp.GetRequiredService<LedgerWriter>(), sp.GetRequiredService<PipelineTelemetry>()));
        services.AddSingleton<ConsoleMeters>();

        // Logs carry the trace id and span id (as ASP.NET Core sets them) and the current span's tags, among them the
        // request id that /v1 puts on its request's span: a log line leads to its trace and its ledger row.
        builder.Logging.Configure(o => o.ActivityTrackingOptions |= ActivityTrackingOptions.Tags);

        var otlp = settings.Otlp.Enabled || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!otlp && !settings.Prometheus.Enabled)
        {
            return builder;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "costconsole"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(TelemetryNames.Source, ConsoleMeters.Name).AddAspNetCoreInstrumentation();
                if (settings.Prometheus.Enabled)
                {
                    metrics.AddPrometheusExporter();
                }
            });

        if (otlp)
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(TelemetryNames.Source)
                    // The caller's W3C trace context is taken up here; the model calls pass it on through the HttpClient.
                    .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsQuiet(context.Request.Path, settings.Prometheus.Path))
                    .AddHttpClientInstrumentation())
                .WithLogging(logging => { }, o => o.IncludeScopes = true)
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Starts the host's instruments and, when enabled, maps the Prometheus scrape endpoint behind its access check.</summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        app.Services.GetRequiredService<ConsoleMeters>();
        var settings = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (settings.Prometheus.Enabled)
        {
            app.MapPrometheusScrapingEndpoint(settings.Prometheus.Path, meterProvider: null, branch => branch.UseMiddleware<ScrapeAccess>(), optionsName: null);
        }

        return app;
    }

    /// <summary>Static files, the Blazor circuit, health checks and scrapes would drown the requests worth tracing.</summary>
    private static bool IsQuiet(PathString path, string scrapePath) =>
        path.StartsWithSegments("/_framework") || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/_content")
        || path.StartsWithSegments("/lib") || path.StartsWithSegments("/health") || path.StartsWithSegments(scrapePath);
}
