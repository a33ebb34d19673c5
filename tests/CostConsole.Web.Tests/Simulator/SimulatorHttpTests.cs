using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Tokens;
using CostConsole.Simulator;
using Microsoft.Extensions.Options;
using OpenAI.Chat;

namespace CostConsole.Web.Tests.Simulator;

public sealed class SimulatorHttpTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_official_client_gets_an_answer_with_usage()
    {
        await using var host = await SimulatorHost.StartAsync();

        ChatCompletion completion = await host.ChatClient("gpt-4.1-mini")
            .CompleteChatAsync([new UserChatMessage(Prompts.Faq)], cancellationToken: Cancellation);

        var text = completion.Content.Single().Text;
        Assert.False(string.IsNullOrWhiteSpace(text));
        Assert.Equal("gpt-4.1-mini", completion.Model);
        Assert.StartsWith("chatcmpl-sim-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(O200kTokenCounter.Instance.CountTokens(Prompts.Faq) + 3 + 3, completion.Usage.InputTokenCount);
        Assert.Equal(O200kTokenCounter.Instance.CountTokens(text), completion.Usage.OutputTokenCount);
        Assert.Equal(completion.Usage.InputTokenCount + completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount);
    }

    [Fact]
    public async Task The_same_request_sequence_gets_the_same_answers_from_two_fresh_servers()
    {
        async Task<string> AnswersAsync()
        {
            await using var host = await SimulatorHost.StartAsync();
            var client = host.ChatClient("gpt-4.1-nano");
            var answers = new List<string>();
            foreach (var question in Prompts.FaqQuestions)
            {
                ChatCompletion completion = await client.CompleteChatAsync([new UserChatMessage(question)], cancellationToken: Cancellation);
                answers.Add(completion.Content.Single().Text);
            }

            return string.Join("\n", answers);
        }

        Assert.Equal(await AnswersAsync(), await AnswersAsync());
    }

    [Fact]
    public async Task Streaming_yields_the_answer_in_pieces_then_a_final_usage_update()
    {
        await using var host = await SimulatorHost.StartAsync();

        var text = new StringBuilder();
        var contentUpdates = 0;
        ChatFinishReason? finishReason = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in host.ChatClient("gpt-4.1-nano")
                           .CompleteChatStreamingAsync([new UserChatMessage(Prompts.MultiStepAnalysis)], cancellationToken: Cancellation))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
                contentUpdates++;
            }

            finishReason ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.True(contentUpdates > 1);
        Assert.Equal(ChatFinishReason.Stop, finishReason);
        Assert.NotNull(usage);
        Assert.Equal(O200kTokenCounter.Instance.CountTokens(text.ToString()), usage.OutputTokenCount);
    }

    [Fact]
    public async Task A_raw_stream_is_server_sent_events_ending_with_usage_then_done()
    {
        await using var host = await SimulatorHost.StartAsync();

        using var response = await PostJsonAsync(host,
            """{"model":"gpt-4.1-nano","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""");
        var events = (await response.Content.ReadAsStringAsync(Cancellation))
            .Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .ToList();

        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        Assert.Equal("data: [DONE]", events[^1]);
        using var first = JsonDocument.Parse(events[0]["data: ".Length..]);
        Assert.Equal("assistant", first.RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("role").GetString());
        using var usage = JsonDocument.Parse(events[^2]["data: ".Length..]);
        Assert.Equal(0, usage.RootElement.GetProperty("choices").GetArrayLength());
        Assert.True(usage.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
        using var last = JsonDocument.Parse(events[^3]["data: ".Length..]);
        Assert.Equal("chat.completion.chunk", last.RootElement.GetProperty("object").GetString());
        Assert.Equal("stop", last.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task A_raw_protocol_call_gets_json_mode_content_and_per_token_logprobs()
    {
        await using var host = await SimulatorHost.StartAsync();
        var body = BinaryContent.Create(BinaryData.FromString(
            """
            {
              "model": "gpt-4.1",
              "messages": [
                {"role": "system", "content": "Answer as JSON."},
                {"role": "user", "content": [{"type": "text", "text": "What are your support hours?"}]}
              ],
              "response_format": {"type": "json_object"},
              "logprobs": true,
              "top_logprobs": 2,
              "user": "u-1",
              "metadata": {"tenant": "acme"},
              "some_future_field": {"ignored": true}
            }
            """));

        var result = await host.ChatClient("gpt-4.1").CompleteChatAsync(body, new RequestOptions { CancellationToken = Cancellation });

        using var json = JsonDocument.Parse(result.GetRawResponse().Content);
        var choice = json.RootElement.GetProperty("choices")[0];
        using var answer = JsonDocument.Parse(choice.GetProperty("message").GetProperty("content").GetString()!);
        Assert.False(string.IsNullOrWhiteSpace(answer.RootElement.GetProperty("answer").GetString()));
        var tokens = choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(json.RootElement.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), tokens.Count);
        Assert.All(tokens, token =>
        {
            Assert.True(token.GetProperty("logprob").GetDouble() < 0);
            Assert.Equal(
                Encoding.UTF8.GetBytes(token.GetProperty("token").GetString()!),
                token.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()));
            Assert.Equal(2, token.GetProperty("top_logprobs").GetArrayLength());
        });
    }

    [Fact]
    public async Task Max_tokens_cuts_the_answer_with_finish_reason_length()
    {
        await using var host = await SimulatorHost.StartAsync();

        ChatCompletion completion = await host.ChatClient("gpt-4.1").CompleteChatAsync(
            [new UserChatMessage(Prompts.Faq)], new ChatCompletionOptions { MaxOutputTokenCount = 4 }, Cancellation);

        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(4, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task With_an_error_rate_of_one_the_client_sees_a_server_error()
    {
        await using var host = await SimulatorHost.StartAsync();
        host.UpdateModel("gpt-4.1-nano", model => model with { ErrorRate = 1 });

        var error = await Assert.ThrowsAsync<ClientResultException>(() =>
            host.ChatClient("gpt-4.1-nano").CompleteChatAsync([new UserChatMessage(Prompts.Faq)], cancellationToken: Cancellation));

        Assert.Equal(500, error.Status);
        Assert.Contains("simulated_error", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_rate_limit_rate_of_one_the_answer_is_429_with_retry_after()
    {
        await using var host = await SimulatorHost.StartAsync();
        host.UpdateModel("gpt-4.1-mini", model => model with { RateLimitRate = 1, RetryAfterSeconds = 7 });

        using var response = await PostJsonAsync(host, """{"model":"gpt-4.1-mini","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(7), response.Headers.RetryAfter?.Delta);
        Assert.Equal("rate_limit_exceeded", await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task With_a_timeout_rate_of_one_the_request_hangs_then_fails_with_504()
    {
        await using var host = await SimulatorHost.StartAsync();
        host.UpdateModel("gpt-4.1", model => model with { TimeoutRate = 1 });

        using var response = await PostJsonAsync(host, """{"model":"gpt-4.1","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Equal("simulated_timeout", await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task With_a_stream_cut_rate_of_one_a_streaming_read_fails_part_way()
    {
        await using var host = await SimulatorHost.StartAsync();
        host.UpdateModel("gpt-4.1-nano", model => model with { StreamCutRate = 1 });
        var received = new StringBuilder();
        ChatFinishReason? finishReason = null;

        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            await foreach (var update in host.ChatClient("gpt-4.1-nano")
                               .CompleteChatStreamingAsync([new UserChatMessage(Prompts.MultiStepAnalysis)], cancellationToken: Cancellation))
            {
                received.Append(string.Concat(update.ContentUpdate.Select(part => part.Text)));
                finishReason ??= update.FinishReason;
            }
        });

        Assert.True(received.Length > 0, "some content should arrive before the cut");
        Assert.Null(finishReason);
    }

    [Fact]
    public async Task The_model_list_shows_the_three_default_models()
    {
        await using var host = await SimulatorHost.StartAsync();

        using var json = JsonDocument.Parse(await host.Http.GetStringAsync("/sim/v1/models", Cancellation));

        Assert.Equal("list", json.RootElement.GetProperty("object").GetString());
        Assert.Equal(
            ["gpt-4.1-nano", "gpt-4.1-mini", "gpt-4.1"],
            json.RootElement.GetProperty("data").EnumerateArray().Select(model => model.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Malformed_json_gets_a_400_with_an_openai_shaped_error()
    {
        await using var host = await SimulatorHost.StartAsync();

        using var response = await PostJsonAsync(host, """{"model":"gpt-4.1","messages":[""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        var error = json.RootElement.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        Assert.True(error.TryGetProperty("param", out _));
        Assert.True(error.TryGetProperty("code", out _));
    }

    [Fact]
    public async Task A_request_without_messages_gets_a_400_pointing_at_messages()
    {
        await using var host = await SimulatorHost.StartAsync();

        using var response = await PostJsonAsync(host, """{"model":"gpt-4.1","messages":[]}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        Assert.Equal("messages", json.RootElement.GetProperty("error").GetProperty("param").GetString());
    }

    [Fact]
    public async Task An_unknown_model_gets_a_404_model_not_found()
    {
        await using var host = await SimulatorHost.StartAsync();

        using var response = await PostJsonAsync(host, """{"model":"gpt-9","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("model_not_found", await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Models_from_configuration_replace_the_defaults()
    {
        await using var host = await SimulatorHost.StartAsync(new Dictionary<string, string?>
        {
            ["CostConsole:Simulator:Seed"] = "9",
            ["CostConsole:Simulator:Models:0:Id"] = "support-small",
            ["CostConsole:Simulator:Models:0:Capability"] = "0.4",
            ["CostConsole:Simulator:Models:0:TokensPerSecond"] = "200",
            ["CostConsole:Simulator:Models:0:RetryAfterSeconds"] = "3",
        });

        var model = Assert.Single(host.Settings.Models);
        Assert.Equal(new SimulatedModelProfile { Id = "support-small", Capability = 0.4, TokensPerSecond = 200, RetryAfterSeconds = 3 }, model);
        Assert.Equal(9, host.Settings.Seed);
    }

    [Fact]
    public async Task An_out_of_range_rate_in_configuration_stops_the_app_from_starting()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SimulatorHost.StartAsync(new Dictionary<string, string?>
        {
            ["CostConsole:Simulator:Models:0:Id"] = "gpt-4.1-nano",
            ["CostConsole:Simulator:Models:0:ErrorRate"] = "1.5",
        }));

        Assert.Contains("'gpt-4.1-nano': ErrorRate must be between 0 and 1", error.Message, StringComparison.Ordinal);
    }

    private static Task<HttpResponseMessage> PostJsonAsync(SimulatorHost host, string json) =>
        host.Http.PostAsync("/sim/v1/chat/completions", new StringContent(json, Encoding.UTF8, "application/json"), Cancellation);

    private static async Task<string?> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancellation));
        return json.RootElement.GetProperty("error").GetProperty("code").GetString();
    }
}
