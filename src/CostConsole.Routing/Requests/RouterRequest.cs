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
}
