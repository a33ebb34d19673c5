using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static CostConsole.Routing.Telemetry.TelemetryNames;

namespace CostConsole.Web.Tests.Telemetry;

/// <summary>Prompts and answers go into spans only where an operator set <c>CostConsole:Telemetry:IncludeContent</c>.</summary>
public sealed class ContentTelemetryTests(ContentTracedFactory factory) : IClassFixture<ContentTracedFactory>
{
    [Fact]
    public async Task With_content_allowed_the_request_span_carries_the_prompt_and_the_answer_the_client_received()
    {
        using var client = factory.CreateApiClient();
        using var response = await client.PostAsJsonAsync("/v1/chat/completions",
            new { model = "auto", messages = new[] { new { role = "user", content = "Where is my order? Tracking please." } } }, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var answer = body.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString();

        var span = factory.RequestSpan(response.Headers.GetValues("x-costconsole-request-id").Single());

        Assert.NotNull(span);
        using var input = JsonDocument.Parse((string)span.GetTagItem(InputMessages)!);
        Assert.Equal(("user", "Where is my order? Tracking please."), (input.RootElement[0].GetProperty("role").GetString(), input.RootElement[0].GetProperty("content").GetString()));
        using var output = JsonDocument.Parse((string)span.GetTagItem(OutputMessages)!);
        Assert.Equal(("assistant", answer), (output.RootElement[0].GetProperty("role").GetString(), output.RootElement[0].GetProperty("content").GetString()));
    }
}
