using CostConsole.Routing.Caching;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests.Caching;

/// <summary>What changes a request's cache key, and what does not.</summary>
public sealed class CacheFingerprintTests
{
    private static CacheKeys Keys(string json)
    {
        using var request = Raw(json);
        return CacheFingerprint.Of(request);
    }

    private const string Base = """{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2}""";

    [Theory]
    [InlineData("""{"messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"model":"auto"}""")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a  support agent. "},{"role":"user","content":"  Where is\nmy parcel?"}],"temperature":0.2}""")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.20}""")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"stream":true,"stream_options":{"include_usage":true}}""")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"user":"u-17","metadata":{"team":"support"}}""")]
    [InlineData("""{"model":"auto","messages":[{"content":"You are a support agent.","role":"system"},{"role":"user","content":"Where is my parcel?"}],"temperature":2e-1}""")]
    public void Key_order_whitespace_number_spelling_streaming_and_who_asks_do_not_change_the_key(string json)
    {
        Assert.Equal(Keys(Base), Keys(json));
    }

    [Theory]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a sales agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2}""", "system prompt")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my Parcel?"}],"temperature":0.2}""", "question")]
    [InlineData("""{"model":"large","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2}""", "model")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.3}""", "temperature")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"max_tokens":20}""", "max tokens")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"seed":4}""", "seed")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"response_format":{"type":"json_object"}}""", "response format")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"tools":[{"type":"function","function":{"name":"track","parameters":{}}}]}""", "tools")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"stop":["\n"]}""", "stop")]
    [InlineData("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2,"some_new_field":1}""", "an unknown field")]
    public void Anything_that_can_change_the_answer_changes_the_key(string json, string what)
    {
        Assert.True(Keys(Base).Exact != Keys(json).Exact, $"changing the {what} kept the key");
    }

    [Fact]
    public void The_context_key_ignores_the_last_question_but_not_the_system_prompt_or_earlier_turns()
    {
        var paraphrase = Keys("""{"model":"auto","messages":[{"role":"system","content":"You are a support agent."},{"role":"user","content":"Where has my parcel got to?"}],"temperature":0.2}""");
        var otherSystem = Keys("""{"model":"auto","messages":[{"role":"system","content":"You are a pirate."},{"role":"user","content":"Where is my parcel?"}],"temperature":0.2}""");

        Assert.NotEqual(Keys(Base).Exact, paraphrase.Exact);
        Assert.Equal(Keys(Base).Context, paraphrase.Context);
        Assert.NotEqual(Keys(Base).Context, otherSystem.Context);
    }
}
