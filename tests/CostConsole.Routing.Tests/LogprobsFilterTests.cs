using System.Text;
using System.Text.Json;
using CostConsole.Routing.Providers;

namespace CostConsole.Routing.Tests;

/// <summary>
/// Logprobs a confidence gate asked for are taken out of what the client gets; an answer that carries none (the upstream
/// ignored the request) goes out exactly as it came, bodies and stream chunks alike.
/// </summary>
public sealed class LogprobsFilterTests
{
    private const string WithLogprobs =
        """{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":{"content":[{"token":"Hi","logprob":-0.1}]},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}""";

    [Theory]
    [InlineData("""{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":"stop"}]}""")]
    [InlineData("""{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"},"logprobs":null,"finish_reason":null}]}""")]
    [InlineData("""{"id":"c1", "choices": [ {"index":0, "message":{"role":"assistant","content":"no \"logprobs\": here"}, "finish_reason":"stop"} ], "logprobs": {"not":"a choice's"}}""")]
    [InlineData("""{"id":"c1","choices":[{"index":0,"logprobs":null},{"index":1,"logprobs":null}]}""")]
    [InlineData("""not json, but "logprobs": {} in it""")]
    public void An_answer_without_logprobs_goes_out_as_it_came(string json)
    {
        var body = Encoding.UTF8.GetBytes(json).AsMemory();

        var relayed = LogprobsFilter.Strip(body);

        Assert.False(LogprobsFilter.HasLogprobs(body.Span));
        Assert.True(relayed.Span == body.Span, "the same bytes, not a copy");
    }

    [Fact]
    public void Logprobs_the_client_did_not_ask_for_become_null_and_the_rest_stays()
    {
        var relayed = LogprobsFilter.Strip(Encoding.UTF8.GetBytes(WithLogprobs));

        using var document = JsonDocument.Parse(relayed);
        var choice = document.RootElement.GetProperty("choices")[0];
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        Assert.Equal("Hi", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(4, document.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public void Logprobs_in_a_later_choice_are_found()
    {
        var json = """{"choices":[{"index":0,"logprobs":null},{"index":1,"logprobs":{"content":[]}}]}""";

        Assert.True(LogprobsFilter.HasLogprobs(Encoding.UTF8.GetBytes(json)));
        using var document = JsonDocument.Parse(LogprobsFilter.Strip(Encoding.UTF8.GetBytes(json)));
        Assert.All(document.RootElement.GetProperty("choices").EnumerateArray(), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("logprobs").ValueKind));
    }
}
