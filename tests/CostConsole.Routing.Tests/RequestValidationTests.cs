using System.Text;
using CostConsole.Routing.Requests;
using static CostConsole.Routing.Tests.TestRouting;

namespace CostConsole.Routing.Tests;

/// <summary>Requests OpenAI itself refuses are refused here too, before any model is called.</summary>
public sealed class RequestValidationTests
{
    [Theory]
    [InlineData("""{"messages":[{"role":"wizard","content":"hi"}]}""", "invalid_message", "messages[0].role")]
    [InlineData("""{"messages":[{"role":"user"}]}""", "invalid_message", "messages[0].content")]
    [InlineData("""{"messages":[{"role":"system","content":null},{"role":"user","content":"hi"}]}""", "invalid_message", "messages[0].content")]
    [InlineData("""{"messages":[{"role":"user","content":42}]}""", "invalid_message", "messages[0].content")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"},{"role":"assistant"}]}""", "invalid_message", "messages[1].content")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"tools":{"type":"function"}}""", "invalid_tools", "tools")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream":"yes"}""", "invalid_stream", "stream")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream":1}""", "invalid_stream", "stream")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":{"type":"xml"}}""", "invalid_response_format", "response_format.type")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"response_format":"json"}""", "invalid_response_format", "response_format")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_tokens":"ten"}""", "invalid_max_tokens", "max_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"max_completion_tokens":2.5}""", "invalid_max_tokens", "max_completion_tokens")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":3}""", "unsupported_n", "n")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"n":"two"}""", "unsupported_n", "n")]
    public void A_request_openai_would_refuse_is_refused_naming_the_field(string body, string code, string param)
    {
        var ex = Assert.Throws<ChatRequestException>(() => Raw(body));

        Assert.Equal((code, param), (ex.Code, ex.Param));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"developer","content":"be brief"},{"role":"user","content":"hi"}],"n":1,"stream":false,"tools":null,"response_format":{"type":"text"}}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"42"}],"tools":[{"type":"function","function":{"name":"f"}}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"hi"}],"stream":null,"n":null,"max_tokens":null,"response_format":{"type":"json_schema","json_schema":{"name":"a","schema":{"type":"object"}}}}""")]
    public void A_request_openai_accepts_is_accepted(string body)
    {
        using var request = Raw(body);

        Assert.Equal("hi", request.LastUserText);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, 0x28 })]
    [InlineData(new byte[] { 0xFF })]
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })]
    public void Invalid_utf8_in_a_string_is_refused_as_invalid_json(byte[] bad)
    {
        var body = Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"x""").Concat(bad).Concat(Encoding.UTF8.GetBytes("\"}]}")).ToArray();

        var ex = Assert.Throws<ChatRequestException>(() => ChatRequestParser.Parse(body, null, Routing.Tokens.O200kTokenCounter.Instance));

        Assert.Equal("invalid_json", ex.Code);
    }

    [Theory]
    [InlineData("""{"messages":[{"role":"user","content":"\ud800 x"}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"ok"}],"tools":[{"type":"function","function":{"name":"f","description":"\udc00"}}]}""")]
    [InlineData("""{"messages":[{"role":"user","content":"ok"}],"metadata":{"\ud800":"x"}}""")]
    public void A_lone_surrogate_escape_anywhere_is_refused_as_invalid_json(string body)
    {
        var ex = Assert.Throws<ChatRequestException>(() => Raw(body));

        Assert.Equal("invalid_json", ex.Code);
        Assert.Contains("surrogate", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_surrogate_pair_escape_is_read_as_the_character_it_encodes()
    {
        using var request = Raw("""{"messages":[{"role":"user","content":"smile \ud83d\ude00"}]}""");

        Assert.Equal("smile \U0001F600", request.LastUserText);
    }
}
