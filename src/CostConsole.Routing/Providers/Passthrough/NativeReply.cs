using System.Buffers;
using System.Text.Json;

namespace CostConsole.Routing.Providers.Passthrough;

/// <summary>
/// A passed-through answer travels through the router as the chat completion (or chunk) it reads — content, tool
/// calls, finish reason, usage — with the provider's own JSON beside it under <see cref="Property"/>, which the host
/// sends to the client as it came. Chat completions clients never see it: only Responses and Messages requests are
/// passed through.
/// </summary>
public static class NativeReply
{
    public const string Property = "costconsole_passthrough";

    private static readonly byte[] PropertyName = System.Text.Encoding.UTF8.GetBytes($"\"{Property}\":");

    /// <summary>The provider's own JSON carried by a chat completion or chunk; false for a translated one.</summary>
    public static bool TryGet(ReadOnlyMemory<byte> chat, out ReadOnlyMemory<byte> native)
    {
        native = default;
        var reader = new Utf8JsonReader(chat.Span, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var found = reader.ValueTextEquals(Property);
                reader.Read();
                if (found)
                {
                    var start = (int)reader.TokenStartIndex;
                    reader.Skip();
                    native = chat[start..(int)reader.BytesConsumed];
                    return true;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Not a chat completion the router wrote: nothing carried.
        }

        return false;
    }

    /// <summary><paramref name="chat"/> (a JSON object) with <paramref name="native"/> added under <see cref="Property"/>.</summary>
    internal static byte[] Carry(ReadOnlySpan<byte> chat, ReadOnlySpan<byte> native)
    {
        var end = chat.LastIndexOf((byte)'}');
        var head = chat[..end].TrimEnd(" \r\n\t"u8);
        var buffer = new ArrayBufferWriter<byte>(chat.Length + native.Length + 40);
        buffer.Write(head);
        if (head[^1] != (byte)'{')
        {
            buffer.Write(","u8);
        }

        buffer.Write(PropertyName);
        buffer.Write(native);
        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A chunk that carries one native stream event and says nothing itself (one choice, empty delta, so it is never taken for a usage-only chunk).</summary>
    internal static byte[] Carrier(ReadOnlySpan<byte> native) =>
        Carry("{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":null}]}"u8, native);

    internal static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static long Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;
}
