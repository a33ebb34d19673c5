using System.Security.Cryptography;
using System.Text;
using CostConsole.Routing.Decisions;
using Microsoft.Extensions.Options;

namespace CostConsole.Simulator;

/// <summary>
/// Who may call <c>/sim/v1</c>. It answers only while a provider in the catalogue points at it, and outside
/// Development only with a key: the one this process sends to itself, or <c>CostConsole:Simulator:ApiKey</c>.
/// </summary>
internal sealed class SimulatorAccess(IOptions<SimulatorOptions> options, IHostEnvironment environment)
{
    /// <summary>Made fresh at every start: the key the router sends when it calls its own simulator.</summary>
    public string ProcessKey { get; } = "cc-sim-" + RandomNumberGenerator.GetHexString(40, lowercase: true);

    public bool KeyRequired => !environment.IsDevelopment();

    /// <summary>True while some provider is served in-process; a host with no routing (the simulator alone) always serves it.</summary>
    public static bool InUse(IServiceProvider services) =>
        services.GetService<RoutingState>() is not { } routing || routing.Current.Providers.Any(provider => provider.IsLocal);

    public bool Accepts(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var secret = Encoding.UTF8.GetBytes(authorization[7..].Trim());
        return Same(secret, ProcessKey) || (options.Value.ApiKey is { Length: > 0 } configured && Same(secret, configured));
    }

    private static bool Same(byte[] secret, string key) => CryptographicOperations.FixedTimeEquals(secret, Encoding.UTF8.GetBytes(key));
}
