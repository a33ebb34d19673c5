using CostConsole.Routing.Providers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace CostConsole.Web.Api;

/// <summary>
/// The loopback address this process listens on, for providers it serves itself (the simulator). Read
/// from the server once it has started; <c>CostConsole:LocalBaseAddress</c> overrides it.
/// </summary>
internal sealed class LocalServerAddress(IServer server, IConfiguration configuration, Simulator.SimulatorAccess simulator) : ILocalServerAddress
{
    private Uri? _address;

    public Uri BaseAddress => _address ??= Resolve();

    public string? ApiKey => simulator.ProcessKey;

    private Uri Resolve()
    {
        if (configuration["CostConsole:LocalBaseAddress"] is { Length: > 0 } configured)
        {
            return new Uri(configured);
        }

        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var chosen = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The server has no address yet; in-process providers are reachable once it has started.");

        // Wildcard and named hosts are reached over loopback.
        var uri = new UriBuilder(chosen.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        if (uri.Host is "0.0.0.0" or "[::]" or "::" or "localhost")
        {
            uri.Host = "127.0.0.1";
        }

        uri.Path = "/";
        return uri.Uri;
    }
}
