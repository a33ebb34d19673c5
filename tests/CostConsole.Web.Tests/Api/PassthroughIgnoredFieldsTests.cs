using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace CostConsole.Web.Tests.Api;

/// <summary>
/// A passed-through request reaches the provider with every field the client wrote, so no header claims a field was
/// ignored; the headers stay for a translated answer, which really leaves those fields out.
/// </summary>
public sealed class PassthroughIgnoredFieldsTests(PassthroughFactory factory) : IClassFixture<PassthroughFactory>
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_passed_through_responses_request_names_no_ignored_fields(bool stream)
    {
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "auto", input = PassthroughTests.Faq, store = false, stream, reasoning = new { effort = "low" }, service_tier = "default" }, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = stream
            ? PassthroughTests.Events(text)[0].Data.GetProperty("response").GetProperty("id").GetString()
            : JsonDocument.Parse(text).RootElement.GetProperty("id").GetString();
        Assert.StartsWith("resp_sim_", id);
        Assert.False(response.Headers.Contains("x-costconsole-ignored-fields"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_passed_through_messages_request_carries_no_warning_about_ignored_fields(bool stream)
    {
        using var client = factory.CreateApiClient();
        client.DefaultRequestHeaders.Add("anthropic-version", "2023-06-01");

        using var response = await client.PostAsJsonAsync("/v1/messages", new { model = "auto", max_tokens = 200, top_k = 5, stream, messages = new[] { new { role = "user", content = PassthroughTests.Faq } } }, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var id = stream
            ? PassthroughTests.Events(text)[0].Data.GetProperty("message").GetProperty("id").GetString()
            : JsonDocument.Parse(text).RootElement.GetProperty("id").GetString();
        Assert.StartsWith("msg_sim_", id);
        Assert.False(response.Headers.Contains("x-costconsole-warning"));
    }
}

/// <summary>When the passing-through provider fails and a chat-only one answers, the translation did drop fields, and the header says which.</summary>
public sealed class PassthroughFallbackIgnoredFieldsTests(PassthroughFallbackFactory factory) : IClassFixture<PassthroughFallbackFactory>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_fallback_to_a_translated_provider_names_the_fields_the_translation_dropped(bool stream)
    {
        factory.Services.GetRequiredService<CostConsole.Routing.Providers.DeploymentResilience>().Reset();
        using var client = factory.CreateApiClient();

        using var response = await client.PostAsJsonAsync("/v1/responses", new { model = "auto", input = PassthroughTests.Faq, store = false, stream, reasoning = new { effort = "low" } }, TestContext.Current.CancellationToken);
        await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("gpt-4.1-nano", response.Headers.GetValues("x-costconsole-model").Single());
        // The passing-through provider was sent the field; the chat provider that answered was not.
        using (var sent = JsonDocument.Parse(factory.Edge.LastBody!))
        {
            Assert.Equal("low", sent.RootElement.GetProperty("reasoning").GetProperty("effort").GetString());
        }

        Assert.Equal("reasoning", response.Headers.GetValues("x-costconsole-ignored-fields").Single());
    }
}
