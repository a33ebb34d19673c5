using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Caching;

/// <summary>
/// The two keys of a request. <see cref="Exact"/> names the whole request as far as it can change the answer;
/// <see cref="Context"/> names everything but the last user message's text, so the semantic level only compares
/// questions asked with the same system prompt, earlier turns, model, tools and parameters.
/// </summary>
public readonly record struct CacheKeys(string Exact, string Context);

/// <summary>
/// Fingerprints a chat request: a SHA-256 over a canonical form of the body (object keys in ordinal order, message
/// text with its whitespace collapsed and Unicode composed, numbers in one spelling). Every field counts except the
/// few known not to change the answer, so a field added to the protocol later splits the key rather than serving an
/// answer to a different question.
/// </summary>
public static class CacheFingerprint
{
    /// <summary>Fields that change how the answer is delivered or billed, never what it says.</summary>
    private static readonly HashSet<string> AnswerNeutral = new(StringComparer.Ordinal)
    {
        "stream", "stream_options", "user", "metadata", "store", "service_tier", "safety_identifier", "prompt_cache_key",
    };

    private const string LastUserPlaceholder = "\u0000last-user\u0000";

    public static CacheKeys Of(ChatRequest request)
    {
        var root = request.Root;
        var lastUser = LastUserIndex(root);
        return new CacheKeys(Hash(root, -1), Hash(root, lastUser));
    }

    /// <summary>Whitespace runs become one space, the ends are trimmed, and the text is in Unicode form C.</summary>
    public static string Normalise(string text)
    {
        var composed = text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        var builder = new StringBuilder(composed.Length);
        var space = false;
        foreach (var c in composed)
        {
            if (char.IsWhiteSpace(c))
            {
                space = builder.Length > 0;
                continue;
            }

            if (space)
            {
                builder.Append(' ');
                space = false;
            }

            builder.Append(c);
        }

        return builder.ToString();
    }

    private static int LastUserIndex(JsonElement root)
    {
        var last = -1;
        if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var message in messages.EnumerateArray())
            {
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out var role) && role.ValueEquals("user"u8))
                {
                    last = i;
                }

                i++;
            }
        }

        return last;
    }

    /// <param name="blankMessage">The message whose content is left out (the context key), or -1.</param>
    private static string Hash(JsonElement root, int blankMessage)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                if (AnswerNeutral.Contains(property.Name))
                {
                    continue;
                }

                writer.WritePropertyName(property.Name);
                if (property.NameEquals("messages"u8) && property.Value.ValueKind == JsonValueKind.Array)
                {
                    WriteMessages(writer, property.Value, blankMessage);
                }
                else
                {
                    WriteCanonical(writer, property.Value, normaliseText: false);
                }
            }

            writer.WriteEndObject();
        }

        return Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
    }

    private static void WriteMessages(Utf8JsonWriter writer, JsonElement messages, int blankMessage)
    {
        writer.WriteStartArray();
        var i = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object)
            {
                WriteCanonical(writer, message, normaliseText: true);
                i++;
                continue;
            }

            writer.WriteStartObject();
            foreach (var property in message.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
            {
                writer.WritePropertyName(property.Name);
                if (i == blankMessage && property.NameEquals("content"u8))
                {
                    writer.WriteStringValue(LastUserPlaceholder);
                }
                else
                {
                    WriteCanonical(writer, property.Value, normaliseText: property.NameEquals("content"u8));
                }
            }

            writer.WriteEndObject();
            i++;
        }

        writer.WriteEndArray();
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement element, bool normaliseText)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in element.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value, normaliseText && property.NameEquals("text"u8));
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in element.EnumerateArray())
                {
                    WriteCanonical(writer, item, normaliseText);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                writer.WriteStringValue(normaliseText ? Normalise(element.GetString()!) : element.GetString());
                break;
            case JsonValueKind.Number:
                // 0.7, 0.70 and 7e-1 are one temperature.
                writer.WriteRawValue(element.TryGetDouble(out var number) ? number.ToString("R", CultureInfo.InvariantCulture) : element.GetRawText());
                break;
            default:
                element.WriteTo(writer);
                break;
        }
    }
}
