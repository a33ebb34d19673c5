using System.Buffers;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Protocols.Responses;

namespace CostConsole.Routing.Providers.Passthrough;

/// <summary>
/// A Responses request that continues a response the console stored (<c>previous_response_id</c>) or refers to its
/// items (<c>item_reference</c>), written out for a provider that speaks the Responses API itself but knows none of the
/// console's ids: <c>input</c> holds the stored conversation, the stored answer and then the request's own input with
/// each reference replaced by the item it names; <c>previous_response_id</c> is left out. Every other field is the client's.
/// </summary>
public static class ContinuedResponsesBody
{
    public static byte[] Of(ReadOnlyMemory<byte> body, ResponsesStorage storage)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var buffer = new ArrayBufferWriter<byte>(body.Length * 2 + 1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("input"u8))
                {
                    WriteInput(writer, property.Value, storage);
                }
                else if (!property.NameEquals("previous_response_id"u8))
                {
                    property.WriteTo(writer);
                }
            }

            if (!root.TryGetProperty("input", out _))
            {
                WriteInput(writer, default, storage);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteInput(Utf8JsonWriter writer, JsonElement input, ResponsesStorage storage)
    {
        writer.WriteStartArray("input"u8);
        if (storage.Previous is { } previous)
        {
            foreach (var (_, json) in ResponseItems.Input(previous.Id, previous.Conversation))
            {
                using var item = JsonDocument.Parse(json);
                WriteItem(writer, item.RootElement);
            }

            using var response = JsonDocument.Parse(previous.Response);
            if (response.RootElement.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in output.EnumerateArray())
                {
                    if (NativeReply.String(item, "type") is "message" or "function_call")
                    {
                        WriteItem(writer, item);
                    }
                }
            }
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, "user");
            writer.WriteString("content"u8, input.GetString());
            writer.WriteEndObject();
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in input.EnumerateArray())
            {
                if (NativeReply.String(item, "type") == "item_reference" && NativeReply.String(item, "id") is { } id && storage.Items.TryGetValue(id, out var referenced))
                {
                    using var found = JsonDocument.Parse(referenced);
                    WriteItem(writer, found.RootElement);
                }
                else
                {
                    item.WriteTo(writer);
                }
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>
    /// One stored item as input, without the console's <c>id</c> and <c>status</c>; an earlier answer becomes an
    /// assistant message with its text, the form the Responses API takes an assistant turn in.
    /// </summary>
    private static void WriteItem(Utf8JsonWriter writer, JsonElement item)
    {
        writer.WriteStartObject();
        if (NativeReply.String(item, "type") == "message" && NativeReply.String(item, "role") == "assistant")
        {
            var text = new StringBuilder();
            if (item.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array)
            {
                foreach (var part in content.EnumerateArray())
                {
                    text.Append(NativeReply.String(part, "text") ?? NativeReply.String(part, "refusal"));
                }
            }

            writer.WriteString("type"u8, "message");
            writer.WriteString("role"u8, "assistant");
            writer.WriteString("content"u8, text.ToString());
        }
        else
        {
            foreach (var property in item.EnumerateObject())
            {
                if (!property.NameEquals("id"u8) && !property.NameEquals("status"u8))
                {
                    property.WriteTo(writer);
                }
            }
        }

        writer.WriteEndObject();
    }
}
