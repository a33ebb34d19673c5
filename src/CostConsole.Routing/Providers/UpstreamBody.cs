using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Providers;

/// <summary>
/// The body sent upstream: the client's own JSON, every field kept, with the model replaced by the
/// chosen one. Streams always ask for usage, so every streamed request can be priced.
/// </summary>
internal static class UpstreamBody
{
    public static BinaryData Create(ChatRequest request, string upstreamModel, UpstreamOptions options = default)
    {
        var forceLogprobs = options.Logprobs && !request.WantsLogprobs;
        if (request.Translated is { } translated)
        {
            return new BinaryData(translated.ForUpstream(upstreamModel, forceLogprobs));
        }

        // Sized to the client's body (a fixed 4 kB buffer was most of what a short request allocated on its way upstream):
        // the copy differs by the model name and a few added fields, and by half again for text the writer escapes
        // (non-ASCII becomes \uXXXX); a body that needs more grows the buffer.
        var length = JsonMarshal.GetRawUtf8Value(request.Root).Length;
        var buffer = new ArrayBufferWriter<byte>(length + (length / 2) + Encoding.UTF8.GetMaxByteCount(upstreamModel.Length) + 64);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, upstreamModel);
            foreach (var property in request.Root.EnumerateObject())
            {
                if (property.NameEquals("model"u8))
                {
                    continue;
                }

                if (request.Stream && property.NameEquals("stream_options"u8))
                {
                    continue;
                }

                if (forceLogprobs && property.NameEquals("logprobs"u8))
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            if (forceLogprobs)
            {
                writer.WriteBoolean("logprobs"u8, true);
            }

            if (request.Stream)
            {
                writer.WriteStartObject("stream_options"u8);
                writer.WriteBoolean("include_usage"u8, true);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return new BinaryData(buffer.WrittenMemory);
    }
}
