using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using CostConsole.Web.Access;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Access;

/// <summary>The console with a signed-in client per role, created once.</summary>
public sealed class RoleConsoleFactory : CostConsoleFactory
{
    private readonly ConcurrentDictionary<string, Lazy<Task<HttpClient>>> _clients = new();

    /// <summary>A signed-in client of <paramref name="role"/>, or an anonymous one for null.</summary>
    public Task<HttpClient> ClientAsync(string? role) => role is null
        ? Task.FromResult(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = BaseAddress })
        : _clients.GetOrAdd(role, r => new Lazy<Task<HttpClient>>(() => CreateConsoleClientAsync(r))).Value;
}

/// <summary>Each role can reach exactly its pages and APIs, checked on the server; anonymous callers reach only sign-in and health.</summary>
public sealed class RoleAccessTests(RoleConsoleFactory factory) : IClassFixture<RoleConsoleFactory>
{
    private const string A = Roles.Admin;
    private const string F = Roles.FinOps;
    private const string S = Roles.SupportLead;

    /// <summary>Every page and API, and the roles that may use it. Anything not listed for a role is refused.</summary>
    public static TheoryData<string, string, string[]> Surface => new()
    {
        { "GET", "/", [A, F] },
        { "GET", "/requests", [A, F] },
        { "GET", "/routing", [A, F, S] },
        { "GET", "/catalogue", [A, S] },
        { "GET", "/budgets", [A, F] },
        { "GET", "/experiments", [A, F, S] },
        { "GET", "/keys", [A] },
        { "GET", "/users", [A] },
        { "GET", "/settings", [A] },
        { "GET", "/api/metrics/export.csv?range=24h", [A, F] },
        { "GET", "/api/catalogue/export.csv", [A, S] },
        { "POST", "/api/route/explain", [A, F, S] },
        { "POST", "/hubs/metrics/negotiate?negotiateVersion=1", [A, F] },
    };

    public static TheoryData<string, string, string, bool> Cases
    {
        get
        {
            var cases = new TheoryData<string, string, string, bool>();
            foreach (var row in Surface)
            {
                var (method, path, allowed) = row.Data;
                foreach (var role in Roles.All)
                {
                    cases.Add(role, method, path, allowed.Contains(role));
                }
            }

            return cases;
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_role_reaches_exactly_the_pages_and_apis_it_may_use(string role, string method, string path, bool allowed)
    {
        var client = await factory.ClientAsync(role);

        using var response = await SendAsync(client, method, path);

        if (allowed)
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        else if (IsApi(path))
        {
            Assert.True(response.StatusCode is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, $"{role} {path}: {response.StatusCode}");
        }
        else
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.StartsWith("/denied", response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString);
        }
    }

    [Theory]
    [MemberData(nameof(Surface))]
    public async Task Anonymous_callers_are_refused_everywhere(string method, string path, string[] allowed)
    {
        Assert.NotEmpty(allowed);
        var client = await factory.ClientAsync(null);

        using var response = await SendAsync(client, method, path);

        if (IsApi(path))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        else
        {
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Contains("/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("/signin")]
    [InlineData("/health")]
    public async Task Sign_in_and_health_are_open_to_anyone(string path)
    {
        var client = await factory.ClientAsync(null);

        using var response = await client.GetAsync(path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task The_v1_endpoint_keeps_its_own_key_check_and_ignores_the_console_cookie()
    {
        var admin = await factory.ClientAsync(Roles.Admin);

        using var withCookie = await admin.GetAsync("/v1/models", TestContext.Current.CancellationToken);
        using var withKey = await factory.CreateApiClient().GetAsync("/v1/models", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, withCookie.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withKey.StatusCode);
    }

    [Fact]
    public async Task An_api_key_may_call_the_read_apis_but_not_open_console_pages()
    {
        var client = factory.CreateApiClient();

        using var export = await client.GetAsync("/api/metrics/export.csv?range=24h", TestContext.Current.CancellationToken);
        using var page = await client.GetAsync("/keys", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, export.StatusCode);
        Assert.Equal("/signin", page.RequestMessage!.RequestUri!.AbsolutePath);
    }

    [Fact]
    public async Task A_wrong_password_is_refused_and_five_lock_the_account()
    {
        var email = await factory.EnsureUserAsync(Roles.FinOps, "lockout@test.local");
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() }) { BaseAddress = factory.BaseAddress };

        for (var i = 0; i < 5; i++)
        {
            using var wrong = await CostConsoleFactory.SignInAsync(client, email, "Not-the-password-1");
            Assert.Equal(HttpStatusCode.OK, wrong.StatusCode);
            Assert.Contains(i < 4 ? "The email or password is not right." : "This account is locked", await wrong.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        }

        using var right = await CostConsoleFactory.SignInAsync(client, email, CostConsoleFactory.Password);
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Contains("This account is locked", await right.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sign_in_form_without_its_antiforgery_token_is_refused()
    {
        var client = await factory.ClientAsync(null);

        using var response = await client.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "signin",
            ["Input.Email"] = CostConsoleFactory.AdminEmail,
            ["Input.Password"] = CostConsoleFactory.Password,
        }), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key == "Set-Cookie" && h.Value.Any(v => v.StartsWith("costconsole.auth", StringComparison.Ordinal)));
    }

    private static bool IsApi(string path) => path.StartsWith("/api/", StringComparison.Ordinal) || path.StartsWith("/hubs/", StringComparison.Ordinal);

    private static Task<HttpResponseMessage> SendAsync(HttpClient client, string method, string path) => method == "GET"
        ? client.GetAsync(path, TestContext.Current.CancellationToken)
        : path.StartsWith("/api/route", StringComparison.Ordinal)
            ? client.PostAsJsonAsync(path, new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order?" } } }, TestContext.Current.CancellationToken)
            : client.PostAsync(path, null, TestContext.Current.CancellationToken);
}
