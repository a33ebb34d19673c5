using System.Net;
using System.Text.RegularExpressions;
using CostConsole.Web.Access;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Access;

/// <summary>After a correct password the user lands where they were going, on this site only, whatever the characters.</summary>
public sealed class SignInReturnTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Signs in through the form opened at <c>/signin?returnUrl=…</c>, as the browser does, with a fresh cookie jar.</summary>
    private async Task<(HttpResponseMessage Response, HttpClient Client)> SignInAsync(string returnUrl)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = factory.BaseAddress };
        var path = "/signin?returnUrl=" + Uri.EscapeDataString(returnUrl);
        var page = await client.GetStringAsync(path, Cancel);
        var token = Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var response = await client.PostAsync(path, new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["__RequestVerificationToken"] = token,
            ["Input.Email"] = CostConsoleFactory.AdminEmail,
            ["Input.Password"] = CostConsoleFactory.Password,
        }), Cancel);
        return (response, client);
    }

    [Fact]
    public async Task A_return_address_with_non_ascii_characters_signs_in_and_goes_there_encoded()
    {
        var (response, client) = await SignInAsync("/requests?q=café");
        using (client)
        using (response)
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            var location = response.Headers.Location!;
            var target = location.IsAbsoluteUri ? location : new Uri(factory.BaseAddress, location);
            Assert.Equal((factory.BaseAddress.Authority, "/requests?q=caf%C3%A9"), (target.Authority, target.PathAndQuery));

            using var page = await client.GetAsync(target, Cancel);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
    }

    [Theory]
    [InlineData("https://evil.example/")]
    [InlineData("//evil.example/")]
    [InlineData("/\\evil.example/")]
    [InlineData("/\t/evil.example/")]
    public async Task A_return_address_off_this_site_is_not_followed(string returnUrl)
    {
        var (response, client) = await SignInAsync(returnUrl);
        using (client)
        using (response)
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            var location = response.Headers.Location!;
            Assert.False(location.IsAbsoluteUri && location.Host != factory.BaseAddress.Host, $"went to {location}");
            Assert.DoesNotContain("evil.example", location.IsAbsoluteUri ? location.Host : location.OriginalString.Split('/', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "", StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/requests?q=café", "/requests?q=caf%C3%A9")]
    [InlineData("/routing#rule 1", "/routing#rule%201")]
    [InlineData("/budgets", "/budgets")]
    [InlineData("//evil.example", null)]
    [InlineData("/\\evil.example", null)]
    [InlineData("https://evil.example", null)]
    [InlineData("", null)]
    public void Only_a_local_path_is_kept_and_it_is_written_in_ascii(string url, string? expected)
    {
        Assert.Equal(expected, LocalReturnUrl.Encode(url));
    }
}
