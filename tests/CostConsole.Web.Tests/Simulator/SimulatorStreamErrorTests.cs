using System.Net;
using System.Text;
using System.Text.Json;

namespace CostConsole.Web.Tests.Simulator;

/// <summary>The simulator's <c>StreamErrorRate</c>: a stream that ends half way with the provider's own error event, in each protocol's shape.</summary>
public sealed class SimulatorStreamErrorTests
{
    private static readonly CancellationToken Cancel = TestContext.Current.CancellationToken;

    /// <summary>A long answer's prompt as a JSON string, so the error comes after some content.</summary>
    private static readonly string Prompt = JsonSerializer.Serialize(Prompts.MultiStepAnalysis);

    private static async Task<string> StreamAsync(SimulatorHost host, string path, string json, bool anthropic = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sim/v1/" + path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (anthropic)
        {
            request.Headers.Add("x-api-key", "any");
            request.Headers.Add("anthropic-version", "2023-06-01");
        }

        using var response = await host.Http.SendAsync(request, Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync(Cancel);
    }

    private static List<(string Name, JsonElement Data)> Events(string body) =>
        [.. body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => block.Split('\n'))
            .Select(lines => (
                lines.FirstOrDefault(l => l.StartsWith("event: ", StringComparison.Ordinal))?["event: ".Length..] ?? "",
                JsonDocument.Parse(lines.Single(l => l.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]).RootElement.Clone()))];

    [Fact]
    public async Task A_chat_stream_sends_some_content_then_an_error_chunk_and_no_done()
    {
        await using var host = await SimulatorHost.StartAsync();
        host.UpdateModel("gpt-4.1-nano", model => model with { StreamErrorRate = 1 });

        var body = await StreamAsync(host, "chat/completions", """{"model":"gpt-4.1-nano","stream":true,"messages":[{"role":"user","content":""" + Prompt + "}]}");
        var events = Events(body);

        Assert.DoesNotContain("[DONE]", body, StringComparison.Ordinal);
        Assert.Contains(events, e => e.Data.TryGetProperty("choices", out var choices) && choices[0].GetProperty("delta").TryGetProperty("content", out var c) && c.GetString()!.Length > 0);
        var error = events[^1].Data.GetProperty("error");
        Assert.Equal("simulated_stream_error", error.GetProperty("code").GetString());
        Assert.Contains("StreamErrorRate", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_responses_stream_ends_with_response_failed_carrying_the_usage_so_far()
    {
        await using var host = await SimulatorHost.StartAsync();
        host.UpdateModel("gpt-4.1-nano", model => model with { StreamErrorRate = 1 });

        var events = Events(await StreamAsync(host, "responses", """{"model":"gpt-4.1-nano","stream":true,"input":""" + Prompt + "}"));

        Assert.Equal("response.created", events[0].Name);
        Assert.Contains(events, e => e.Name == "response.output_text.delta");
        Assert.Equal("response.failed", events[^1].Name);
        Assert.DoesNotContain(events, e => e.Name == "response.completed");
        Assert.Equal(Enumerable.Range(0, events.Count), events.Select(e => e.Data.GetProperty("sequence_number").GetInt32()));
        var failed = events[^1].Data.GetProperty("response");
        Assert.Equal(events[0].Data.GetProperty("response").GetProperty("id").GetString(), failed.GetProperty("id").GetString());
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        Assert.Contains("StreamErrorRate", failed.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(failed.GetProperty("usage").GetProperty("input_tokens").GetInt64() > 0);
        Assert.True(failed.GetProperty("usage").GetProperty("output_tokens").GetInt64() > 0);
    }

    [Fact]
    public async Task A_messages_stream_ends_with_anthropics_error_event()
    {
        await using var host = await SimulatorHost.StartAsync();
        host.UpdateModel("gpt-4.1-nano", model => model with { StreamErrorRate = 1 });

        var events = Events(await StreamAsync(host, "messages", """{"model":"gpt-4.1-nano","max_tokens":300,"stream":true,"messages":[{"role":"user","content":""" + Prompt + "}]}", anthropic: true));

        Assert.Equal("message_start", events[0].Name);
        Assert.Contains(events, e => e.Name == "content_block_delta");
        Assert.Equal("error", events[^1].Name);
        Assert.DoesNotContain(events, e => e.Name == "message_stop");
        Assert.Equal("error", events[^1].Data.GetProperty("type").GetString());
        Assert.Equal("api_error", events[^1].Data.GetProperty("error").GetProperty("type").GetString());
        Assert.Contains("StreamErrorRate", events[^1].Data.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stream_error_rate_outside_zero_to_one_is_named_as_a_problem()
    {
        await using var host = await SimulatorHost.StartAsync();

        var problems = (host.Settings.Find("gpt-4.1-nano")! with { StreamErrorRate = 2 }).Problems();

        Assert.Contains(problems, p => p.Contains("StreamErrorRate must be between 0 and 1", StringComparison.Ordinal));
    }
}
