using System.Net;
using System.Text.Json;
using CostConsole.Web.Keys;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Access;

/// <summary>
/// Every HTTP API the app maps (read from its endpoints, so a new one is covered the day it is added) answers a caller
/// it refuses with an OpenAI-shaped JSON error, never with a redirect to the sign-in page.
/// </summary>
public sealed class ApiSurfaceTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    /// <summary>Where an inference key may go; everything else it is refused.</summary>
    private static readonly string[] InferencePaths = ["/v1/", "/api/route/explain", "/api/feedback"];

    private IReadOnlyList<(string Method, string Path)> Apis()
    {
        var apis = new List<(string, string)>();
        foreach (var endpoint in factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = "/" + (endpoint.RoutePattern.RawText ?? "").TrimStart('/');
            var isApi = pattern.StartsWith("/api/", StringComparison.Ordinal) || pattern.StartsWith("/v1/", StringComparison.Ordinal)
                || pattern.StartsWith("/hubs/", StringComparison.Ordinal) || pattern.EndsWith("/export.csv", StringComparison.Ordinal);
            if (!isApi)
            {
                continue;
            }

            var path = System.Text.RegularExpressions.Regex.Replace(pattern, "\\{[^}]+\\}", "1");
            foreach (var method in endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"])
            {
                apis.Add((method, path));
            }
        }

        return apis;
    }

    private static async Task AssertJsonErrorAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        Assert.True(response.StatusCode == status, $"{what}: {(int)response.StatusCode} {response.Headers.Location}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("error").GetProperty("message").GetString()), what);
    }

    [Fact]
    public async Task An_anonymous_caller_gets_a_401_json_error_from_every_http_api_including_the_experiment_export()
    {
        var apis = Apis();
        Assert.Contains(("GET", "/experiments/1/export.csv"), apis);
        Assert.Contains(apis, a => a.Path == "/hubs/metrics/negotiate");
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = factory.BaseAddress };

        foreach (var (method, path) in apis)
        {
            using var response = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);
            await AssertJsonErrorAsync(response, HttpStatusCode.Unauthorized, $"anonymous {method} {path}");
        }
    }

    [Fact]
    public async Task An_inference_key_gets_a_403_json_error_from_every_http_api_outside_inference()
    {
        var (created, key) = await factory.Services.GetRequiredService<KeyService>()
            .CreateAsync(new KeyForm { Name = "app-only", Team = "support" }, "alice", TestContext.Current.CancellationToken);
        Assert.True(created.Saved, created.Summary);
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = factory.BaseAddress };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key!.Secret);
        var outside = Apis().Where(a => !InferencePaths.Any(p => a.Path.StartsWith(p, StringComparison.Ordinal))).ToList();
        Assert.Contains(("GET", "/experiments/1/export.csv"), outside);

        foreach (var (method, path) in outside)
        {
            using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path), TestContext.Current.CancellationToken);
            await AssertJsonErrorAsync(response, HttpStatusCode.Forbidden, $"inference key {method} {path}");
        }
    }

    [Fact]
    public async Task A_console_page_still_sends_an_anonymous_browser_to_sign_in()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = factory.BaseAddress };

        using var response = await anonymous.GetAsync("/experiments", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/signin", response.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }
}
