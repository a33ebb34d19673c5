using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Api;

public sealed class SmallBodyFactory() : CostConsoleFactory(new() { ["CostConsole:MaxRequestBytes"] = "65536" });

public sealed class ErrorTests(SmallBodyFactory factory) : IClassFixture<SmallBodyFactory>
{
    private static readonly object Hello = new { model = "auto", messages = new[] { new { role = "user", content = "hello" } } };

    private async Task<(HttpStatusCode Status, JsonElement Error, string? RequestId)> PostAsync(HttpContent content, string? key = CostConsoleFactory.ApiKey)
    {
        using var client = factory.CreateApiClient(key);
        using var response = await client.PostAsync("/v1/chat/completions", content, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").Clone();
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("type").GetString()));
        Assert.True(error.TryGetProperty("param", out _));
        return (response.StatusCode, error, response.Headers.GetValues("x-costconsole-request-id").Single());
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("{\"model\":\"auto\",\"messages\":[", "invalid_json")]
    [InlineData("{\"model\":\"auto\"}", "missing_messages")]
    [InlineData("{\"model\":\"auto\",\"messages\":[]}", "missing_messages")]
    public async Task A_malformed_body_gets_400_and_is_recorded_as_rejected(string body, string code)
    {
        var (status, error, requestId) = await PostAsync(Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, error.GetProperty("code").GetString());
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);
        Assert.Equal((2, 400, code), (row.Status, row.HttpStatus, row.ErrorCode));
        Assert.Equal(0, row.CostNanoUsd);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not-a-key")]
    public async Task A_missing_or_unknown_key_gets_401(string? key)
    {
        var (status, error, requestId) = await PostAsync(JsonContent.Create(Hello), key);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);
        Assert.Null(row.ApiKeyId);
        Assert.Equal(401, row.HttpStatus);
    }

    [Fact]
    public async Task An_unknown_model_gets_404_pointing_to_the_model_list_without_listing_the_catalogue()
    {
        var (status, error, requestId) = await PostAsync(JsonContent.Create(new { model = "gpt-17-ultra", messages = new[] { new { role = "user", content = "hi" } } }));

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Contains("GET /v1/models", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("small, medium, large", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        var row = (await factory.LedgerAsync()).Single(r => r.RequestId == requestId);
        Assert.Equal(("gpt-17-ultra", 404), (row.RequestedModel, row.HttpStatus));
    }

    [Fact]
    public async Task A_body_over_the_limit_gets_413()
    {
        var huge = new { model = "auto", messages = new[] { new { role = "user", content = new string('x', 100_000) } } };

        var (status, error, _) = await PostAsync(JsonContent.Create(huge));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Rejections_leave_the_ledger_whole_and_the_next_request_is_answered()
    {
        var before = (await factory.LedgerAsync()).Count;
        await PostAsync(Json("{{{"));
        await PostAsync(JsonContent.Create(Hello), key: "wrong");

        using var client = factory.CreateApiClient();
        using var ok = await client.PostAsJsonAsync("/v1/chat/completions", Hello, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var rows = await factory.LedgerAsync();
        Assert.Equal(before + 3, rows.Count);
        Assert.Equal([2, 2, 0], rows.TakeLast(3).Select(r => r.Status));
    }
}

public sealed class ExplainLimitTests(SmallBodyFactory factory) : IClassFixture<SmallBodyFactory>
{
    [Fact]
    public async Task An_oversized_body_to_explain_gets_413_like_the_chat_endpoint()
    {
        using var client = factory.CreateApiClient();
        var huge = new { model = "auto", messages = new[] { new { role = "user", content = new string('x', 100_000) } } };

        using var response = await client.PostAsJsonAsync("/api/route/explain", huge, TestContext.Current.CancellationToken);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("request_too_large", error.RootElement.GetProperty("error").GetProperty("code").GetString());
    }
}
