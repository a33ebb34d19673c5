using System.Buffers;
using System.Text.Json;

namespace CostConsole.Routing.Protocols.Responses;

/// <summary>
/// The items of a stored response as the Responses API names them: its input items (<c>GET /v1/responses/{id}/input_items</c>),
/// read from the conversation it stored, and its output items; and the item an <c>item_reference</c> points at. An input
/// item's id is made from its response's id and its position (<c>msg_…_3</c>), so it is the same on every read and says which
/// response holds it; an output item keeps the id the client received.
/// </summary>
public static class ResponseItems
{
    public const int DefaultLimit = 20;

    public const int MaxLimit = 100;

    /// <summary>The ids of the request's <c>item_reference</c> input items, read without translating the rest; empty when there are none.</summary>
    public static IReadOnlyList<string> References(ReadOnlyMemory<byte> body)
    {
        // Most requests refer to nothing: skip the parse.
        if (body.Span.IndexOf("item_reference"u8) < 0)
        {
            return [];
        }

        var ids = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("input", out var input) && input.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in input.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var type) && type.ValueEquals("item_reference"u8)
                        && item.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String && !ids.Contains(id.GetString()!))
                    {
                        ids.Add(id.GetString()!);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // The parser says what is wrong with the body.
        }

        return ids;
    }

    /// <summary>The stored response whose input items <paramref name="itemId"/> would be one of (<c>resp_…</c>), or null when it is not an input item's id.</summary>
    public static string? ResponseOf(string itemId)
    {
        var first = itemId.IndexOf('_');
        var last = itemId.LastIndexOf('_');
        return first > 0 && last > first + 1 && last < itemId.Length - 1 && int.TryParse(itemId.AsSpan(last + 1), out _)
            ? "resp_" + itemId[(first + 1)..last]
            : null;
    }

    /// <summary>The input items of a stored response, oldest first, each as its JSON: <paramref name="conversation"/> is the chat messages it stored.</summary>
    public static IReadOnlyList<(string Id, string Json)> Input(string responseId, string conversation)
    {
        var key = responseId.StartsWith("resp_", StringComparison.Ordinal) ? responseId[5..] : responseId;
        var items = new List<(string, string)>();
        using var document = JsonDocument.Parse(conversation);
        foreach (var message in document.RootElement.EnumerateArray())
        {
            var role = message.GetProperty("role").GetString()!;
            if (role == "tool")
            {
                var id = $"fco_{key}_{items.Count}";
                items.Add((id, Write(writer =>
                {
                    writer.WriteString("id"u8, id);
                    writer.WriteString("type"u8, "function_call_output"u8);
                    writer.WriteString("call_id"u8, message.GetProperty("tool_call_id").GetString());
                    writer.WriteString("output"u8, Texts(message).FirstOrDefault() ?? "");
                    writer.WriteString("status"u8, "completed"u8);
                })));
                continue;
            }

            if (message.TryGetProperty("content", out _))
            {
                var id = $"msg_{key}_{items.Count}";
                items.Add((id, Write(writer =>
                {
                    var assistant = role == "assistant";
                    writer.WriteString("id"u8, id);
                    writer.WriteString("type"u8, "message"u8);
                    writer.WriteString("role"u8, role);
                    writer.WriteString("status"u8, "completed"u8);
                    writer.WriteStartArray("content"u8);
                    foreach (var text in Texts(message))
                    {
                        writer.WriteStartObject();
                        writer.WriteString("type"u8, assistant ? "output_text"u8 : "input_text"u8);
                        writer.WriteString("text"u8, text);
                        if (assistant)
                        {
                            writer.WriteStartArray("annotations"u8);
                            writer.WriteEndArray();
                        }

                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                })));
            }

            if (message.TryGetProperty("tool_calls", out var calls))
            {
                foreach (var call in calls.EnumerateArray())
                {
                    var id = $"fc_{key}_{items.Count}";
                    var function = call.GetProperty("function");
                    items.Add((id, Write(writer =>
                    {
                        writer.WriteString("id"u8, id);
                        writer.WriteString("type"u8, "function_call"u8);
                        writer.WriteString("call_id"u8, call.GetProperty("id").GetString());
                        writer.WriteString("name"u8, function.GetProperty("name").GetString());
                        writer.WriteString("arguments"u8, function.GetProperty("arguments").GetString());
                        writer.WriteString("status"u8, "completed"u8);
                    })));
                }
            }
        }

        return items;
    }

    /// <summary>
    /// The input item or output item of a stored response whose id is <paramref name="itemId"/>, as JSON an input item may
    /// carry, or null when the response has no such item.
    /// </summary>
    public static string? Find(PreviousResponse stored, string itemId)
    {
        using (var response = JsonDocument.Parse(stored.Response))
        {
            if (response.RootElement.TryGetProperty("output", out var output))
            {
                foreach (var item in output.EnumerateArray())
                {
                    if (item.TryGetProperty("id", out var id) && id.ValueEquals(itemId))
                    {
                        return item.GetRawText();
                    }
                }
            }
        }

        return ResponseOf(itemId) == stored.Id
            ? Input(stored.Id, stored.Conversation).FirstOrDefault(item => item.Id == itemId).Json
            : null;
    }

    /// <summary>
    /// One page of input items in the API's list shape (<c>object</c>, <c>data</c>, <c>first_id</c>, <c>last_id</c>,
    /// <c>has_more</c>): newest first unless <paramref name="ascending"/>, those after the item <paramref name="after"/> in that
    /// order, at most <paramref name="limit"/>. Null when <paramref name="after"/> is not one of the items.
    /// </summary>
    public static byte[]? Page(IReadOnlyList<(string Id, string Json)> items, bool ascending, string? after, int limit)
    {
        var ordered = ascending ? items : items.Reverse().ToList();
        var start = 0;
        if (after is not null)
        {
            var index = ordered.Select(item => item.Id).ToList().IndexOf(after);
            if (index < 0)
            {
                return null;
            }

            start = index + 1;
        }

        var page = ordered.Skip(start).Take(limit).ToList();
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("object"u8, "list"u8);
            writer.WriteStartArray("data"u8);
            foreach (var item in page)
            {
                writer.WriteRawValue(item.Json);
            }

            writer.WriteEndArray();
            WriteId(writer, "first_id"u8, page.Count > 0 ? page[0].Id : null);
            WriteId(writer, "last_id"u8, page.Count > 0 ? page[^1].Id : null);
            writer.WriteBoolean("has_more"u8, start + page.Count < ordered.Count);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteId(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? id)
    {
        if (id is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, id);
        }
    }

    private static IEnumerable<string> Texts(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return [];
        }

        return content.ValueKind == JsonValueKind.String
            ? [content.GetString()!]
            : content.EnumerateArray().Select(part => part.GetProperty("text").GetString()!).ToList();
    }

    private static string Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
