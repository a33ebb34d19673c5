using System.Net;
using CostConsole.Data.Keys;
using CostConsole.Routing.Pipeline;
using CostConsole.Web.Access;
using CostConsole.Web.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Telemetry;

/// <summary>
/// Who may scrape the Prometheus endpoint: an address listed in <c>CostConsole:Telemetry:Prometheus:AllowedAddresses</c>,
/// an API key with the reporting scope, or a signed-in user who sees spend. Metrics are spend, so nobody else.
/// </summary>
internal sealed class ScrapeAccess(RequestDelegate next, IOptions<TelemetryOptions> options)
{
    private readonly IPNetwork[] _allowed = [.. options.Value.Prometheus.AllowedAddresses.Select(a => TelemetryOptions.Network(a)!.Value)];

    private static readonly ChatError NoKey = new(401, "invalid_request_error", "invalid_api_key",
        "The metrics endpoint needs an API key with the reporting scope: send 'Authorization: Bearer <key>' (in Prometheus, the scrape job's "
        + "authorization credentials), or scrape from an address listed in CostConsole:Telemetry:Prometheus:AllowedAddresses.");

    public async Task InvokeAsync(HttpContext context)
    {
        if (IsAllowed(context.Connection.RemoteIpAddress))
        {
            await next(context);
            return;
        }

        var user = (await context.AuthenticateAsync(ApiKeyAuthentication.ApiOrCookieScheme)).Principal;
        if (user?.Identity?.IsAuthenticated != true)
        {
            await ApiErrors.WriteAsync(context.Response, NoKey);
            return;
        }

        if (ApiKeyAuthentication.ScopesOf(user) is { } held)
        {
            if (!held.HasFlag(KeyScopes.Reporting))
            {
                await ApiErrors.WriteAsync(context.Response, ApiErrors.MissingScope(held, KeyScopes.Reporting));
                return;
            }
        }
        else if (!Policies.RolesFor[Policies.ViewSpend].Any(user.IsInRole))
        {
            await ApiErrors.WriteAsync(context.Response, ApiErrors.Forbidden);
            return;
        }

        await next(context);
    }

    private bool IsAllowed(IPAddress? address)
    {
        if (address is null || _allowed.Length == 0)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        return Array.Exists(_allowed, n => n.Contains(address));
    }
}
