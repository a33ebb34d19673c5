using System.Net;

namespace CostConsole.Web.Telemetry;

/// <summary>
/// The <c>CostConsole:Telemetry</c> section. OpenTelemetry export is off unless configured: OTLP by the standard
/// <c>OTEL_EXPORTER_OTLP_*</c> variables (or <see cref="OtlpSettings.Enabled"/>), Prometheus by <see cref="PrometheusSettings.Enabled"/>.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "CostConsole:Telemetry";

    /// <summary>Prompts and answers in spans (<c>gen_ai.input.messages</c>, <c>gen_ai.output.messages</c>). Off: they may hold personal data.</summary>
    public bool IncludeContent { get; set; }

    public OtlpSettings Otlp { get; set; } = new();

    public PrometheusSettings Prometheus { get; set; } = new();

    public bool IsValid(out string problem)
    {
        problem = Prometheus.AllowedAddresses.FirstOrDefault(a => Network(a) is null) is { } bad
            ? $"CostConsole:Telemetry:Prometheus:AllowedAddresses: '{bad}' is neither an IP address nor a network in CIDR notation (e.g. 10.0.0.0/8)."
            : !Prometheus.Path.StartsWith('/') ? "CostConsole:Telemetry:Prometheus:Path must start with '/'." : "";
        return problem.Length == 0;
    }

    /// <summary>An address (one host) or a CIDR network; null when it is neither.</summary>
    public static IPNetwork? Network(string value) =>
        IPNetwork.TryParse(value, out var network) ? network
        : IPAddress.TryParse(value, out var address) ? new IPNetwork(address, address.GetAddressBytes().Length * 8)
        : null;
}

public sealed class OtlpSettings
{
    /// <summary>Exports traces, metrics and logs over OTLP even without <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (to the default localhost:4317).</summary>
    public bool Enabled { get; set; }
}

public sealed class PrometheusSettings
{
    public bool Enabled { get; set; }

    public string Path { get; set; } = "/metrics";

    /// <summary>Addresses or networks (CIDR) that may scrape without an API key; anyone else needs a key with the reporting scope.</summary>
    public List<string> AllowedAddresses { get; set; } = [];
}
