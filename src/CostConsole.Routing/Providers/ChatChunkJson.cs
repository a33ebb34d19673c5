using System.Buffers;
using System.Text.Json;

namespace CostConsole.Routing.Providers;

/// <summary>
/// Writes the chat completion chunks the router reads when an upstream speaks another protocol (Anthropic Messages, the
/// Responses API): the chunk envelope, a content or tool-call delta with its finish reason, and a tool call's fields.
/// </summary>
internal static class ChatChunkJson
{
    /// <summary>A chunk with one choice whose delta <paramref name="delta"/> writes, and its finish reason (null while the answer goes on).</summary>
    public static byte[] Chunk(string id, string model, long created, Action<Utf8JsonWriter> delta, string? finishReason) => Write(id, model, created, writer =>
    {
        writer.WriteStartArray("choices"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, 0);
        writer.WriteStartObject("delta"u8);
        delta(writer);
        writer.WriteEndObject();
        if (finishReason is null)
        {
            writer.WriteNull("finish_reason"u8);
        }
        else
        {
            writer.WriteString("finish_reason"u8, finishReason);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
    });

    /// <summary>A chunk's envelope (id, object, created, model) around what <paramref name="body"/> writes.</summary>
    public static byte[] Write(string id, string model, long created, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, id);
            writer.WriteString("object"u8, "chat.completion.chunk");
            writer.WriteNumber("created"u8, created);
            writer.WriteString("model"u8, model);
            body(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A delta's <c>tool_calls</c> with one call: its id and type only on the first chunk of the call, its name when known.</summary>
    public static void ToolCall(Utf8JsonWriter writer, int index, string? id, string? name, string arguments)
    {
        writer.WriteStartArray("tool_calls"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        if (id is not null)
        {
            writer.WriteString("id"u8, id);
            writer.WriteString("type"u8, "function");
        }

        writer.WriteStartObject("function"u8);
        if (name is not null)
        {
            writer.WriteString("name"u8, name);
        }

        writer.WriteString("arguments"u8, arguments);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
    }
}
