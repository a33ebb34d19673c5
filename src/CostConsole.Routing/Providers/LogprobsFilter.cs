using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CostConsole.Routing.Providers;

/// <summary>
/// Takes out the logprobs a confidence gate asked the upstream for when the client did not: each choice's
/// <c>logprobs</c> becomes null, as OpenAI answers a request without them. Bodies and stream chunks alike. An answer
/// whose choices carry no logprobs (every one null or absent, as from an upstream that ignores the request) is
/// relayed as it came: it is read once with a reader and not parsed or written again.
/// </summary>
internal static class LogprobsFilter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static ReadOnlyMemory<byte> Strip(ReadOnlyMemory<byte> json)
    {
        if (json.Span.IndexOf("\"logprobs\""u8) < 0 || !HasLogprobs(json.Span))
        {
            return json;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return json;
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("choices"u8, out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                return json;
            }

            var buffer = new ArrayBufferWriter<byte>(json.Length);
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                writer.WriteStartObject();
                foreach (var property in root.EnumerateObject())
                {
                    if (!property.NameEquals("choices"u8))
                    {
                        property.WriteTo(writer);
                        continue;
                    }

                    writer.WriteStartArray("choices"u8);
                    foreach (var choice in property.Value.EnumerateArray())
                    {
                        WriteChoice(writer, choice);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
            }

            return buffer.WrittenMemory;
        }
    }

    /// <summary>Whether a choice's <c>logprobs</c> holds anything but null; false for a body that is not JSON (left as it is).</summary>
    internal static bool HasLogprobs(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var inChoices = false;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName when reader.CurrentDepth == 1:
                        inChoices = reader.ValueTextEquals("choices"u8);
                        break;
                    case JsonTokenType.PropertyName when inChoices && reader.CurrentDepth == 3 && reader.ValueTextEquals("logprobs"u8):
                        if (!reader.Read() || reader.TokenType != JsonTokenType.Null)
                        {
                            return true;
                        }

                        break;
                }
            }
        }
        catch (JsonException)
        {
            return false;
        }

        return false;
    }

    private static void WriteChoice(Utf8JsonWriter writer, JsonElement choice)
    {
        if (choice.ValueKind != JsonValueKind.Object)
        {
            choice.WriteTo(writer);
            return;
        }

        writer.WriteStartObject();
        foreach (var property in choice.EnumerateObject())
        {
            if (property.NameEquals("logprobs"u8))
            {
                writer.WriteNull("logprobs"u8);
            }
            else
            {
                property.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }
}
