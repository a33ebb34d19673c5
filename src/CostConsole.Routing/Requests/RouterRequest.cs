using System.Buffers;
using System.Text.Json;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Requests;

/// <summary>
/// A request the router itself sends (a classifier's or a judge's question): exactly the fields it controls, a short
/// answer and temperature 0.
/// </summary>
internal static class RouterRequest
{
    public static ChatRequest Create(string modelId, string? system, ReadOnlySpan<char> user, int maxTokens, ITokenCounter tokens)
    {
        var buffer = new ArrayBufferWriter<byte>(1024 + ((system?.Length ?? 0) + user.Length) * 2);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, modelId);
            writer.WriteStartArray("messages"u8);
            if (system is not null)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, "system"u8);
                writer.WriteString("content"u8, system);
                writer.WriteEndObject();
            }

            writer.WriteStartObject();
            writer.WriteString("role"u8, "user"u8);
            writer.WriteString("content"u8, user);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteNumber("max_tokens"u8, maxTokens);
            writer.WriteNumber("temperature"u8, 0);
            writer.WriteEndObject();
        }

        return ChatRequestParser.Parse(buffer.WrittenMemory, null, tokens);
    }

    /// <summary>
    /// The client's request again, answered in one piece at <paramref name="temperature"/>: what self-consistency
    /// asks the same tier for a second opinion. Every other field the client sent is kept.
    /// </summary>
    public static ChatRequest Resample(ChatRequest request, double temperature, ITokenCounter tokens)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in request.Root.EnumerateObject())
            {
                if (property.NameEquals("stream"u8) || property.NameEquals("stream_options"u8) || property.NameEquals("temperature"u8)
                    || property.NameEquals("n"u8) || property.NameEquals("seed"u8))
                {
                    continue;
                }

                property.WriteTo(writer);
            }

            writer.WriteNumber("temperature"u8, temperature);
            writer.WriteEndObject();
        }

        return ChatRequestParser.Parse(buffer.WrittenMemory, null, tokens);
    }
}
