using System.Net;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Access;

/// <summary>The console behind a reverse proxy that terminates HTTPS and forwards plain HTTP from loopback.</summary>
public sealed class ReverseProxyConsoleFactory() : CostConsoleFactory(new Dictionary<string, string?>
{
    ["CostConsole:ReverseProxy:Enabled"] = "true",
});

public sealed class SecureCookieTests(ReverseProxyConsoleFactory factory) : IClassFixture<ReverseProxyConsoleFactory>
{
    /// <summary>Signs in as the admin, with or without the proxy's <c>X-Forwarded-Proto: https</c>, and returns the sign-in cookie.</summary>
    private static async Task<Cookie> SignInCookieAsync(CostConsoleFactory console, bool forwardedHttps)
    {
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = console.BaseAddress };
        if (forwardedHttps)
        {
            client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");
        }

        using var response = await CostConsoleFactory.SignInAsync(client, CostConsoleFactory.AdminEmail, CostConsoleFactory.Password);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        return Assert.Single(cookies.GetAllCookies(), c => c.Name == "costconsole.auth");
    }

    [Fact]
    public async Task Behind_an_https_proxy_the_sign_in_cookie_is_secure()
    {
        Assert.True((await SignInCookieAsync(factory, forwardedHttps: true)).Secure);
    }

    [Fact]
    public async Task Over_plain_http_without_a_proxy_saying_https_the_sign_in_cookie_is_not_marked_secure_so_it_still_works()
    {
        Assert.False((await SignInCookieAsync(factory, forwardedHttps: false)).Secure);
    }
}

/// <summary>Without <c>CostConsole:ReverseProxy:Enabled</c>, a forwarded header from anyone is not believed.</summary>
public sealed class UntrustedForwardedHeaderTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    [Fact]
    public async Task A_forwarded_proto_header_is_ignored_unless_a_reverse_proxy_is_configured()
    {
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = cookies }) { BaseAddress = factory.BaseAddress };
        client.DefaultRequestHeaders.Add("X-Forwarded-Proto", "https");

        using var response = await CostConsoleFactory.SignInAsync(client, CostConsoleFactory.AdminEmail, CostConsoleFactory.Password);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.False(Assert.Single(cookies.GetAllCookies(), c => c.Name == "costconsole.auth").Secure);
    }
}
