using System.Security.Claims;
using System.Text.Encodings.Web;
using CostConsole.Web.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace CostConsole.Web.Access;

/// <summary>
/// An API key as an identity for the console's HTTP APIs (<c>Authorization: Bearer</c>). <c>/v1</c> does not use
/// it: it checks its key itself, on the hot path, without an authentication handler.
/// </summary>
internal sealed class ApiKeyAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyDirectory keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>An API key when the request carries a bearer token, else the console's sign-in cookie.</summary>
    public const string ApiOrCookieScheme = "ApiKeyOrCookie";

    public const string KeyIdClaim = "costconsole:api_key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (keys.Authenticate(header) is not { } key)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
        }

        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, "key:" + key.Name), new Claim(KeyIdClaim, key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties) =>
        await ApiErrors.WriteAsync(Response, ApiErrors.Unauthorized);

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await ApiErrors.WriteAsync(Response, ApiErrors.Forbidden);
}
