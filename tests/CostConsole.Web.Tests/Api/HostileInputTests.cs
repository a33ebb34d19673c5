using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CostConsole.Simulator;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>Bodies no OpenAI endpoint would serve get an OpenAI-shaped 4xx (never a 500), and on /v1 one ledger row.</summary>
public sealed class HostileInputTests(SmallBodyFactory factory) : IClassFixture<SmallBodyFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>A user message whose content is "x" followed by <paramref name="bad"/> bytes, as raw JSON.</summary>
    private static ByteArrayContent Body(byte[] bad, string path = "/v1/chat/completions")
    {
        var (before, after) = path.EndsWith("embeddings", StringComparison.Ordinal)
            ? ("""{"model":"text-embedding-3-small","input":["x""", "\"]}")
            : ("""{"model":"gpt-4.1-nano","messages":[{"role":"user","content":"x""", "\"}]}");
        var content = new ByteArrayContent([.. Encoding.UTF8.GetBytes(before), .. bad, .. Encoding.UTF8.GetBytes(after)]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    public static TheoryData<byte[]> BadText => new()
    {
        { [0xC3, 0x28] },
        { [0xFF, 0xFE] },
        { Encoding.ASCII.GetBytes("\\ud800 x") },
        { Encoding.ASCII.GetBytes("\\udc00") },
    };

    private async Task<(HttpStatusCode Status, JsonElement Error, HttpResponseMessage Response)> SendAsync(HttpClient client, string path, HttpContent content)
    {
        var response = await client.PostAsync(path, content, Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error").Clone();
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        return (response.StatusCode, error, response);
    }

    private async Task<(HttpStatusCode Status, JsonElement Error, Data.Entities.RequestLogRow Row)> SendToGatewayAsync(HttpContent content)
    {
        using var client = factory.CreateApiClient();
        var (status, error, response) = await SendAsync(client, "/v1/chat/completions", content);
        using (response)
        {
            var id = response.Headers.GetValues("x-costconsole-request-id").Single();
            return (status, error, (await factory.LedgerAsync()).Single(r => r.RequestId == id));
        }
    }

    private HttpClient SimulatorClient() => factory.CreateApiClient(factory.Services.GetRequiredService<SimulatorAccess>().ProcessKey);

    [Theory]
    [MemberData(nameof(BadText))]
    public async Task Text_no_string_can_hold_gets_400_on_the_gateway_with_one_ledger_row(byte[] bad)
    {
        var (status, error, row) = await SendToGatewayAsync(Body(bad));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_json", error.GetProperty("code").GetString());
        Assert.Equal((400, "invalid_json"), (row.HttpStatus, row.ErrorCode));
    }

    [Theory]
    [MemberData(nameof(BadText))]
    public async Task Text_no_string_can_hold_gets_400_from_route_explain(byte[] bad)
    {
        using var client = factory.CreateApiClient();

        var (status, error, response) = await SendAsync(client, "/api/route/explain", Body(bad));

        response.Dispose();
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_json", error.GetProperty("code").GetString());
    }

    [Theory]
    [MemberData(nameof(BadText))]
    public async Task Text_no_string_can_hold_gets_400_from_the_simulator(byte[] bad)
    {
        using var client = SimulatorClient();

        foreach (var path in (string[])["/sim/v1/chat/completions", "/sim/v1/embeddings"])
        {
            var (status, _, response) = await SendAsync(client, path, Body(bad, path));

            response.Dispose();
            Assert.Equal(HttpStatusCode.BadRequest, status);
        }
    }

    [Fact]
    public async Task A_form_body_gets_400_naming_the_content_type_and_is_recorded()
    {
        var form = new StringContent("""{"messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "text/plain");

        var (status, error, row) = await SendToGatewayAsync(form);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_content_type", error.GetProperty("code").GetString());
        Assert.Contains("text/plain", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(400, row.HttpStatus);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}""", "invalid_max_tokens", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":3}""", "unsupported_n", "n")]
    [InlineData("""{"messages":[{"role":"wizard","content":"hi"}]}""", "invalid_message", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream":"true"}""", "invalid_stream", "stream")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":"search"}""", "invalid_tools", "tools")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"yaml"}}""", "invalid_response_format", "response_format.type")]
    public async Task A_request_openai_would_refuse_is_refused_before_any_model_is_called(string body, string code, string param)
    {
        var (status, error, row) = await SendToGatewayAsync(Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal((code, param), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString()));
        Assert.Null(row.Model);
        Assert.Equal(0, row.CostNanoUsd);
    }

    [Fact]
    public async Task The_simulator_wants_a_key_outside_development()
    {
        foreach (var key in (string?[])[null, "sk-anything", CostConsoleFactory.ApiKey])
        {
            using var client = factory.CreateApiClient(key);
            using var response = await client.GetAsync("/sim/v1/models", Cancel);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel));
            Assert.Equal("invalid_api_key", body.RootElement.GetProperty("error").GetProperty("code").GetString());
        }

        using var app = SimulatorClient();
        using var answered = await app.GetAsync("/sim/v1/models", Cancel);
        Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
    }

    [Fact]
    public async Task The_simulator_refuses_more_than_2048_embedding_inputs()
    {
        using var client = SimulatorClient();

        using var many = await client.PostAsJsonAsync("/sim/v1/embeddings", new { model = "text-embedding-3-small", input = Enumerable.Repeat("a", 2049).ToArray() }, Cancel);
        using var most = await client.PostAsJsonAsync("/sim/v1/embeddings", new { model = "text-embedding-3-small", input = Enumerable.Repeat("a", 2048).ToArray() }, Cancel);

        Assert.Equal(HttpStatusCode.BadRequest, many.StatusCode);
        using var error = JsonDocument.Parse(await many.Content.ReadAsStringAsync(Cancel));
        Assert.Equal("input", error.RootElement.GetProperty("error").GetProperty("param").GetString());
        Assert.Equal(HttpStatusCode.OK, most.StatusCode);
    }

    [Fact]
    public async Task The_simulator_has_the_gateways_body_limit()
    {
        using var client = SimulatorClient();
        var huge = new { model = "gpt-4.1-nano", messages = new[] { new { role = "user", content = new string('x', 100_000) } } };

        using var response = await client.PostAsJsonAsync("/sim/v1/chat/completions", huge, Cancel);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task The_gateway_still_answers_through_its_own_simulator()
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/chat/completions", new { model = "small", messages = new[] { new { role = "user", content = "Where is my order?" } } }, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
