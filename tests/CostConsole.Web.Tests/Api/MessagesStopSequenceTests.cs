using System.Net;
using System.Text;
using System.Text.Json;
using CostConsole.Web.Tests.Infrastructure;

namespace CostConsole.Web.Tests.Api;

/// <summary>
/// <c>stop_sequences</c> on <c>/v1/messages</c> against the simulator, which stops where a real model's server does and
/// names the sequence: the Anthropic client learns which sequence ended the answer.
/// </summary>
public sealed class MessagesStopSequenceTests(CostConsoleFactory factory) : IClassFixture<CostConsoleFactory>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    // Pinned to one model: nothing escalates, so the answer is the one the stop sequence cut.
    private static string Body(string stops, bool stream = false) =>
        $$"""{"model":"simulator/gpt-4.1-nano","max_tokens":256,"stream":{{(stream ? "true" : "false")}},"stop_sequences":{{stops}},"messages":[{"role":"user","content":"Where is my order? What is the tracking number?"}]}""";

    private async Task<HttpResponseMessage> SendAsync(string json)
    {
        using var client = factory.CreateApiClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/messages") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-api-key", CostConsoleFactory.ApiKey);
        request.Headers.Add("anthropic-version", "2023-06-01");
        return await client.SendAsync(request, Cancel);
    }

    private static string Text(JsonElement message) =>
        string.Concat(message.GetProperty("content").EnumerateArray().Where(b => b.GetProperty("type").GetString() == "text").Select(b => b.GetProperty("text").GetString()));

    [Fact]
    public async Task An_answer_cut_by_a_stop_sequence_reports_stop_sequence_and_which_one()
    {
        // "e" is in every English answer: the simulator stops just before its first one.
        using var response = await SendAsync(Body("""["ZZZQ","e"]"""));
        var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("stop_sequence", "e"), (message.GetProperty("stop_reason").GetString(), message.GetProperty("stop_sequence").GetString()));
        Assert.DoesNotContain("e", Text(message), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stop_sequence_the_answer_never_reaches_leaves_a_natural_end()
    {
        using var response = await SendAsync(Body("""["ZZZQ"]"""));
        var message = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("end_turn", message.GetProperty("stop_reason").GetString());
        Assert.Equal(JsonValueKind.Null, message.GetProperty("stop_sequence").ValueKind);
        Assert.Contains("e", Text(message), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streamed_answer_cut_by_a_stop_sequence_says_so_in_its_message_delta()
    {
        using var response = await SendAsync(Body("""["e"]""", stream: true));
        var events = (await response.Content.ReadAsStringAsync(Cancel)).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (Name: lines[0]["event: ".Length..], Data: JsonDocument.Parse(lines[1]["data: ".Length..]).RootElement.Clone()))
            .ToList();

        var delta = events.Single(e => e.Name == "message_delta").Data.GetProperty("delta");
        Assert.Equal(("stop_sequence", "e"), (delta.GetProperty("stop_reason").GetString(), delta.GetProperty("stop_sequence").GetString()));
        var streamed = string.Concat(events.Where(e => e.Name == "content_block_delta").Select(e => e.Data.GetProperty("delta").GetProperty("text").GetString()));
        Assert.DoesNotContain("e", streamed, StringComparison.Ordinal);
    }
}
