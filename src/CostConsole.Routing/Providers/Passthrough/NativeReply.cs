using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CostConsole.Routing.Providers.Passthrough;

/// <summary>
/// A passed-through answer travels through the router as the chat completion (or chunk) it reads — content, tool
/// calls, finish reason, usage — with the provider's own reply beside it under <see cref="Property"/>, last, which the
/// host sends to the client as it came. A reply the router cannot read (missing the fields it looks for, or a stream
/// event that is not JSON) reads as an answer without text, and still goes to the client as it came. Chat completions clients never see it: only Responses and Messages requests are
/// passed through.
/// </summary>
public static class NativeReply
{
    public const string Property = "costconsole_passthrough";

    private static readonly byte[] PropertyKey = Encoding.UTF8.GetBytes($"\"{Property}\":");

    /// <summary><see cref="Property"/> as UTF-8, for readers that stop there.</summary>
    internal static ReadOnlySpan<byte> PropertyName => "costconsole_passthrough"u8;

    /// <summary>
    /// The provider's own reply carried by a chat completion or chunk, as it came; false for a translated one. A stream
    /// event that is not JSON is carried as a JSON string (<see cref="CarryText"/>) and comes back as its text.
    /// </summary>
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
                var found = reader.ValueTextEquals(PropertyName);
                reader.Read();
                if (found && reader.TokenType == JsonTokenType.String)
                {
                    native = Encoding.UTF8.GetBytes(reader.GetString()!);
                    return true;
                }

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

        buffer.Write(PropertyKey);
        buffer.Write(native);
        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary><paramref name="chat"/> carrying a stream event that is not JSON as a JSON string of its text.</summary>
    internal static byte[] CarryText(ReadOnlySpan<byte> chat, ReadOnlySpan<byte> native)
    {
        var text = new ArrayBufferWriter<byte>(native.Length + 16);
        using (var writer = new Utf8JsonWriter(text))
        {
            writer.WriteStringValue(Encoding.UTF8.GetString(native));
        }

        return Carry(chat, text.WrittenSpan);
    }

    private static ReadOnlySpan<byte> CarrierChunk => "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":null}]}"u8;

    /// <summary>A chunk that carries one native stream event and says nothing itself (one choice, empty delta, so it is never taken for a usage-only chunk).</summary>
    internal static byte[] Carrier(ReadOnlySpan<byte> native) => Carry(CarrierChunk, native);

    /// <summary>As <see cref="Carrier"/>, for an event that is not JSON (<see cref="CarryText"/>).</summary>
    internal static byte[] TextCarrier(ReadOnlySpan<byte> native) => CarryText(CarrierChunk, native);

    internal static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static long Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;
}
