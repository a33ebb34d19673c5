using System.Buffers;
using System.Text.Json;

namespace CostConsole.Routing.Requests;

/// <summary>
/// The chat completions body a protocol's translator wrote (Responses, Messages), kept as bytes: the upstream body is this
/// body with the model replaced, spliced without parsing it again.
/// </summary>
/// <param name="Body">The body, an object whose first property is <c>model</c> when the client named one.</param>
/// <param name="AfterModel">Where the properties after the model start: just past the model's value, or past the <c>{</c> when there is no model.</param>
internal sealed record TranslatedChatBody(ReadOnlyMemory<byte> Body, int AfterModel)
{
    /// <summary>
    /// Writes the upstream body: <paramref name="model"/> first, every property the translator wrote but its model, and
    /// <c>logprobs</c> when <paramref name="logprobs"/> (a translator never writes it). A streamed body already asks for usage.
    /// </summary>
    public ReadOnlyMemory<byte> ForUpstream(string model, bool logprobs)
    {
        var encoded = JsonEncodedText.Encode(model);
        var rest = Body.Span[AfterModel..];
        var buffer = new ArrayBufferWriter<byte>(rest.Length + encoded.EncodedUtf8Bytes.Length + 32);
        buffer.Write("{\"model\":\""u8);
        buffer.Write(encoded.EncodedUtf8Bytes);
        buffer.Write("\""u8);

        // The rest starts with the comma after the model, or, when the client named no model, with the next property.
        if (rest[0] != (byte)',')
        {
            buffer.Write(","u8);
        }

        var end = rest.LastIndexOf((byte)'}');
        buffer.Write(rest[..end]);
        if (logprobs)
        {
            buffer.Write(",\"logprobs\":true"u8);
        }

        buffer.Write("}"u8);
        return buffer.WrittenMemory;
    }
}
