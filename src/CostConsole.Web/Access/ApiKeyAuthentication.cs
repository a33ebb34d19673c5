using System.Security.Claims;
using System.Text.Encodings.Web;
using CostConsole.Data.Keys;
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

    /// <summary>The key's <see cref="KeyScopes"/>, as a number.</summary>
    public const string ScopesClaim = "costconsole:scopes";

    /// <summary>The scopes of an API-key caller; null for anyone else (a signed-in user, or no one).</summary>
    public static KeyScopes? ScopesOf(ClaimsPrincipal user) =>
        user.FindFirst(ScopesClaim) is { } claim && int.TryParse(claim.Value, System.Globalization.CultureInfo.InvariantCulture, out var value) ? (KeyScopes)value : null;

    /// <summary>The id of the API key a caller authenticated with; null for anyone else.</summary>
    public static long? KeyIdOf(ClaimsPrincipal user) =>
        user.FindFirst(KeyIdClaim) is { } claim && long.TryParse(claim.Value, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;

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
            [
                new Claim(ClaimTypes.Name, "key:" + key.Name),
                new Claim(KeyIdClaim, key.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                new Claim(ScopesClaim, ((int)key.Scopes).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ],
            SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties) =>
        await ApiErrors.WriteAsync(Response, ApiErrors.Unauthorized);

    /// <summary>A key without the scope the endpoint needs: say which scope, and where an admin adds it.</summary>
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var policy = Context.GetEndpoint()?.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Select(a => a.Policy).FirstOrDefault(p => p is not null);
        var held = (await HandleAuthenticateOnceAsync()).Principal is { } user ? ScopesOf(user) : null;
        await ApiErrors.WriteAsync(Response, held is { } scopes && Policies.KeyScopesFor(policy) is { } needed
            ? ApiErrors.MissingScope(scopes, needed)
            : ApiErrors.Forbidden);
    }
}
