using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using CostConsole.Routing.Telemetry;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace CostConsole.Web.Tests.Telemetry;

/// <summary>
/// The app with OTLP export configured as an operator would (to an address where nothing listens), and every span the
/// SDK exports also kept in memory for the tests to read.
/// </summary>
public class TracedFactory : CostConsoleFactory
{
    public TracedFactory() : this([])
    {
    }

    protected TracedFactory(Dictionary<string, string?> settings) : base(new(settings)
    {
        ["CostConsole:Telemetry:Otlp:Enabled"] = "true",
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:9",
    })
    {
    }

    public ConcurrentQueue<Activity> Spans { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services =>
            services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddProcessor(new KeepProcessor(Spans))));
    }

    /// <summary>The spans of one trace, polled until <paramref name="done"/> holds or 10 s have passed.</summary>
    public async Task<List<Activity>> TraceAsync(ActivityTraceId trace, Func<List<Activity>, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var spans = Spans.Where(s => s.TraceId == trace).ToList();
            if (done(spans) || DateTime.UtcNow > deadline)
            {
                return spans;
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The request span of the request with this <c>x-costconsole-request-id</c>.</summary>
    public Activity? RequestSpan(string requestId) =>
        Spans.FirstOrDefault(s => s.Source.Name == TelemetryNames.Source && (string?)s.GetTagItem(TelemetryNames.RequestId) == requestId);

    private sealed class KeepProcessor(ConcurrentQueue<Activity> spans) : BaseProcessor<Activity>
    {
        public override void OnEnd(Activity data) => spans.Enqueue(data);
    }
}

/// <summary>Traced, with prompts and answers allowed into spans.</summary>
public sealed class ContentTracedFactory() : TracedFactory(new() { ["CostConsole:Telemetry:IncludeContent"] = "true" });

/// <summary>Every measurement of one app's instruments (those made by its meter factory) from now on.</summary>
public sealed class Measurements : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measured> _measured = new();

    public Measurements(IServiceProvider services)
    {
        var scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Scope == scope)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, _) => Add(i, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, _) => Add(i, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, _) => Add(i, value, tags));
        _listener.Start();
    }

    public IReadOnlyList<Measured> Of(string instrument)
    {
        _listener.RecordObservableInstruments();
        return [.. _measured.Where(m => m.Instrument == instrument)];
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
        _measured.Enqueue(new Measured(instrument.Name, instrument.Unit, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value)));
}

public sealed record Measured(string Instrument, string? Unit, double Value, Dictionary<string, object?> Tags)
{
    public object? this[string tag] => Tags.GetValueOrDefault(tag);
}
