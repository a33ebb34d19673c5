using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CostConsole.Data;
using CostConsole.Web.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Experiments;

public sealed class FeedbackApiTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private async Task<string> AskAsync(HttpClient client, string? conversation = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = JsonContent.Create(new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order 123?" } } }),
        };
        if (conversation is not null)
        {
            request.Headers.Add("x-costconsole-conversation", conversation);
        }

        using var response = await client.SendAsync(request, Cancel);
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("x-costconsole-request-id").Single();
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, object body)
    {
        using var response = await client.PostAsJsonAsync("/api/feedback", body, Cancel);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>(Cancel));
    }

    private async Task<List<Data.Entities.FeedbackEntity>> FeedbackRowsAsync(string requestId)
    {
        await using var db = await factory.Services.GetRequiredService<IDbContextFactory<CostConsoleDbContext>>().CreateDbContextAsync(Cancel);
        return await db.Feedback.AsNoTracking().Where(f => f.RequestId == requestId).ToListAsync(Cancel);
    }

    [Fact]
    public async Task Feedback_on_a_request_is_recorded_and_a_second_post_updates_it_instead_of_counting_twice()
    {
        using var client = factory.CreateApiClient();
        var id = await AskAsync(client);

        var (status, body) = await PostAsync(client, new { request_id = id, resolved = false, csat = 2, comment = "had to call back" });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("recorded", body.GetProperty("status").GetString());

        (status, body) = await PostAsync(client, new { request_id = id, resolved = true, csat = 5 });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("updated", body.GetProperty("status").GetString());

        var row = Assert.Single(await FeedbackRowsAsync(id));
        Assert.True(row.Resolved);
        Assert.Equal(5, row.Csat);
        Assert.Equal("had to call back", row.Comment);
    }

    [Fact]
    public async Task Feedback_by_conversation_applies_to_its_latest_request()
    {
        using var client = factory.CreateApiClient();
        var conversation = "conv-" + Guid.NewGuid().ToString("N");
        var first = await AskAsync(client, conversation);
        var latest = await AskAsync(client, conversation);

        var (status, body) = await PostAsync(client, new { conversation_id = conversation, resolved = true });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(latest, body.GetProperty("request_id").GetString());
        Assert.Empty(await FeedbackRowsAsync(first));
        Assert.Single(await FeedbackRowsAsync(latest));
    }

    [Fact]
    public async Task An_unknown_request_is_404_and_changes_nothing()
    {
        using var client = factory.CreateApiClient();

        var (status, body) = await PostAsync(client, new { request_id = "req_does_not_exist", resolved = true });

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("request_not_found", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("req_does_not_exist", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(await FeedbackRowsAsync("req_does_not_exist"));

        (status, _) = await PostAsync(client, new { conversation_id = "never-seen", resolved = true });
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Theory]
    [InlineData("""{"request_id":"ID","csat":0}""", "csat")]
    [InlineData("""{"request_id":"ID","csat":6}""", "csat")]
    [InlineData("""{"request_id":"ID","csat":4.5}""", "csat")]
    [InlineData("""{"request_id":"ID"}""", "resolved")]
    [InlineData("""{"resolved":true}""", "request_id")]
    [InlineData("""{"request_id":"ID","conversation_id":"c","resolved":true}""", "request_id")]
    [InlineData("""{"request_id":"ID","resolved":"yes"}""", "resolved")]
    public async Task Bad_feedback_is_400_with_the_field_named_and_changes_nothing(string json, string param)
    {
        using var client = factory.CreateApiClient();
        var id = await AskAsync(client);

        using var response = await client.PostAsync("/api/feedback", new StringContent(json.Replace("ID", id, StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json"), Cancel);
        var error = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Empty(await FeedbackRowsAsync(id));
    }

    [Fact]
    public async Task An_oversized_or_empty_body_is_refused()
    {
        using var client = factory.CreateApiClient();

        using var large = await client.PostAsync("/api/feedback", new StringContent($$"""{"request_id":"x","comment":"{{new string('a', 70_000)}}"}""", System.Text.Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);

        using var empty = await client.PostAsync("/api/feedback", new StringContent("", System.Text.Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task Feedback_needs_an_api_key()
    {
        using var client = factory.CreateApiClient(key: null);

        using var response = await client.PostAsJsonAsync("/api/feedback", new { request_id = "x", resolved = true }, Cancel);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid_api_key", (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("error").GetProperty("code").GetString());
    }
}
