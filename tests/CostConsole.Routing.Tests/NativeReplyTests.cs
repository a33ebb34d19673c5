using System.Text;
using System.Text.Json;
using CostConsole.Routing.Providers;
using CostConsole.Routing.Providers.Anthropic;
using CostConsole.Routing.Providers.Passthrough;

namespace CostConsole.Routing.Tests;

/// <summary>A provider's own reply as the router reads it beside relaying it: the answer's text, or nothing for a reply it cannot read.</summary>
public sealed class NativeReplyTests
{
    private static string? ContentOf(byte[] chat) => ResponseInspector.Inspect(chat).Content;

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("\"done\"")]
    [InlineData("null")]
    [InlineData("{\"output\":{\"type\":\"message\"},\"usage\":[]}")]
    [InlineData("{\"output\":[7,{\"type\":\"message\",\"content\":\"text\"},{\"type\":\"message\",\"content\":[{\"type\":\"output_text\",\"text\":7}]}]}")]
    public void A_responses_reply_without_readable_text_reads_as_an_answer_without_text(string reply)
    {
        using var document = JsonDocument.Parse(reply);

        var chat = ResponsesNative.ToChatCompletion(document.RootElement, 0);

        Assert.True(string.IsNullOrEmpty(ContentOf(chat)));
        Assert.False(ResponseInspector.Inspect(chat).HasUsage);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("null")]
    [InlineData("{\"content\":{\"type\":\"text\"},\"usage\":\"none\"}")]
    [InlineData("{\"content\":[7,{\"type\":\"text\"},{\"type\":\"text\",\"text\":null}]}")]
    public void A_messages_reply_without_readable_text_reads_as_an_answer_without_text(string reply)
    {
        using var document = JsonDocument.Parse(reply);

        var chat = AnthropicReply.ToChatCompletion(document.RootElement, 0);

        Assert.True(string.IsNullOrEmpty(ContentOf(chat)));
    }

    [Fact]
    public void Stream_events_whose_fields_are_of_another_type_read_as_nothing_and_still_end_the_stream()
    {
        var responses = new ResponsesNative(0);
        var messages = new AnthropicChunks(0);

        var read = new[]
        {
            """{"type":"response.created","response":null}""", """{"type":"response.output_text.delta","delta":7}""",
            """{"type":"response.completed","response":"done"}""",
        }.SelectMany(e => responses.Translate(JsonDocument.Parse(e).RootElement)).Concat(new[]
        {
            """{"type":"message_start","message":"hello"}""", """{"type":"content_block_delta","delta":{"type":"text_delta"}}""",
            """{"type":"message_delta","delta":7,"usage":[]}""",
        }.SelectMany(e => messages.Translate(JsonDocument.Parse(e).RootElement)));

        Assert.All(read, chunk => Assert.True(string.IsNullOrEmpty(ContentOf(chunk))));
        Assert.True(responses.Finished);
    }

    [Fact]
    public void A_reply_that_is_not_json_is_carried_and_given_back_byte_for_byte()
    {
        var reply = Encoding.UTF8.GetBytes("<html>\n\"Upstream\" maintenance — back soon</html>");
        using var document = JsonDocument.Parse("{}");
        var chat = ResponsesNative.ToChatCompletion(document.RootElement, 0);

        var carried = NativeReply.CarryText(chat, reply);

        Assert.True(NativeReply.TryGet(carried, out var native));
        Assert.Equal(reply, native.ToArray());
        Assert.True(NativeReply.TryGet(NativeReply.TextCarrier(reply), out var @event));
        Assert.Equal(reply, @event.ToArray());
    }
}
