namespace CostConsole.Web.Access;

/// <summary>
/// The <c>CostConsole:ReverseProxy</c> section: a proxy in front of the console that terminates HTTPS. When enabled, the
/// console reads <c>X-Forwarded-Proto</c> and <c>X-Forwarded-For</c> from the proxies it trusts, so a request that
/// reached the proxy over HTTPS counts as HTTPS (the sign-in cookie is then <c>Secure</c>) and the connection shows
/// the client's address rather than the proxy's.
/// </summary>
public sealed class ReverseProxyOptions
{
    public const string Section = "CostConsole:ReverseProxy";

    public bool Enabled { get; set; }

    /// <summary>Addresses of the proxies whose forwarded headers are believed. Empty with no networks: loopback only.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks (CIDR, e.g. <c>10.0.0.0/8</c>) whose forwarded headers are believed.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in a chain are read, from the nearest.</summary>
    public int ForwardLimit { get; set; } = 1;

    public bool IsValid(out string problem)
    {
        problem = KnownProxies.FirstOrDefault(p => !System.Net.IPAddress.TryParse(p, out _)) is { } proxy
            ? $"CostConsole:ReverseProxy:KnownProxies: '{proxy}' is not an IP address."
            : KnownNetworks.FirstOrDefault(n => !System.Net.IPNetwork.TryParse(n, out _)) is { } network
                ? $"CostConsole:ReverseProxy:KnownNetworks: '{network}' is not a network in CIDR notation (e.g. 10.0.0.0/8)."
                : ForwardLimit is < 1 or > 10 ? "CostConsole:ReverseProxy:ForwardLimit must be between 1 and 10." : "";
        return problem.Length == 0;
    }
}
