using System.Text;
using System.Text.Json;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Requests;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

public sealed class RequestParsingTests
{
    [Theory]
    [InlineData("{not json", "invalid_json")]
    [InlineData("[1,2]", "invalid_json")]
    [InlineData("""{"model":"auto"}""", "missing_messages")]
    [InlineData("""{"model":"auto","messages":[]}""", "missing_messages")]
    [InlineData("""{"model":"auto","messages":[{"content":"hi"}]}""", "invalid_message")]
    [InlineData("""{"model":"","messages":[{"role":"user","content":"hi"}]}""", "invalid_model")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":-5}""", "invalid_max_tokens")]
    public void A_malformed_request_is_refused_with_a_code_and_a_message(string body, string code)
    {
        var ex = Assert.Throws<ChatRequestException>(() => Raw(body));

        Assert.Equal(code, ex.Code);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public void Content_parts_are_read_as_text_and_the_model_defaults_to_auto()
    {
        using var request = Raw("""{"messages":[{"role":"user","content":[{"type":"text","text":"first"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"second"}]}],"stream":true,"stream_options":{"include_usage":true},"logprobs":true,"response_format":{"type":"json_object"},"max_completion_tokens":50}""");

        Assert.Equal("auto", request.Model);
        Assert.Equal("first\nsecond", request.LastUserText);
        Assert.True(request.Stream);
        Assert.True(request.IncludeUsage);
        Assert.True(request.WantsLogprobs);
        Assert.True(request.WantsJson);
        Assert.Equal(50, request.MaxTokens);
    }

    [Fact]
    public void Prompt_tokens_follow_the_chat_formula()
    {
        using var request = Request("Hello, world!", system: "Be brief.");

        // 3 to prime the reply + (tokens + 3) per message: "Be brief." is 3 tokens, "Hello, world!" is 4.
        Assert.Equal(3 + (3 + 3) + (4 + 3), request.PromptTokens);
    }

    [Fact]
    public void The_upstream_body_keeps_every_field_but_the_model_and_asks_streams_for_usage()
    {
        using var request = Raw("""{"model":"auto","messages":[{"role":"user","content":"hi"}],"temperature":0.2,"stream":true,"stream_options":{"include_usage":false},"vendor_extra":{"a":1}}""");

        using var upstream = JsonDocument.Parse(UpstreamBody.Create(request, "gpt-4.1-nano").ToMemory());
        var root = upstream.RootElement;

        Assert.Equal("gpt-4.1-nano", root.GetProperty("model").GetString());
        Assert.Equal(0.2, root.GetProperty("temperature").GetDouble());
        Assert.Equal(1, root.GetProperty("vendor_extra").GetProperty("a").GetInt32());
        Assert.True(root.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal(1, root.EnumerateObject().Count(p => p.Name == "model"));
    }

    [Fact]
    public void Usage_is_read_from_a_completion_and_from_a_usage_only_chunk()
    {
        var completion = Encoding.UTF8.GetBytes("""{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"Hi!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":120,"completion_tokens":8,"total_tokens":128,"prompt_tokens_details":{"cached_tokens":64}}}""");
        var usageChunk = Encoding.UTF8.GetBytes("""{"id":"x","object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}""");

        var facts = ResponseInspector.Inspect(completion);
        var chunk = ResponseInspector.Inspect(usageChunk);

        Assert.Equal(new Pricing.TokenUsage(120, 64, 8), facts.Usage);
        Assert.Equal(("Hi!", "stop", 1), (facts.Content, facts.FinishReason, facts.ChoiceCount));
        Assert.Equal((0, true, 10L), (chunk.ChoiceCount, chunk.HasUsage, chunk.Usage.PromptTokens));
    }
}

public sealed class RoutingInputTests
{
    [Fact]
    public async Task A_recorded_request_replays_to_the_same_decision()
    {
        var snapshot = TestRouting.Snapshot(
            TestRouting.Rule("vip", "large", new Rules.MetadataCondition("tags", ["vip"])),
            TestRouting.Rule("tools", "small", new Rules.ToolsCondition(true)),
            TestRouting.Rule("long", "large", new Rules.TokenLengthCondition(5_000, null)));
        using var original = TestRouting.Request("please look this up", extraJson: """ "tools":[{"type":"function","function":{"name":"f"}}],"user":"u1","metadata":{"channel":"chat"} """, tags: "region=eu, beta");

        var recorded = RoutingInput.FromJson(RoutingInput.From(original).ToJson())!;
        using var replay = recorded.ToRequest(Tokens.O200kTokenCounter.Instance);

        Assert.Equal(original.PromptTokens, replay.PromptTokens);
        Assert.Equal(original.UserTurns, replay.UserTurns);
        Assert.Equal(original.HasTools, replay.HasTools);
        Assert.Equal(original.Metadata.OrderBy(kv => kv.Key), replay.Metadata.OrderBy(kv => kv.Key));
        Assert.Equal(original.Tags.Order(), replay.Tags.Order());
        Assert.Equal("tools", (await snapshot.DecideAsync(original)).Rule);
        Assert.Equal("tools", (await snapshot.DecideAsync(replay)).Rule);
    }

    [Fact]
    public async Task Recorded_prompt_tokens_decide_token_rules_without_recounting()
    {
        var snapshot = TestRouting.Snapshot(TestRouting.Rule("long", "large", new Rules.TokenLengthCondition(5_000, null)));
        using var replay = new RoutingInput("short text", 1, false, new Dictionary<string, string>(), [], 9_000).ToRequest(Tokens.O200kTokenCounter.Instance);

        Assert.Equal("large", (await snapshot.DecideAsync(replay)).Tier);
    }
}
