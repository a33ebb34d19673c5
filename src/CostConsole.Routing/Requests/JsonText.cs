using System.Text.Json;
using System.Text.Unicode;

namespace CostConsole.Routing.Requests;

/// <summary>
/// Checks what <see cref="JsonDocument"/> lets through but no string can hold: bytes that are not UTF-8, and a
/// <c>\uD800</c>–<c>\uDFFF</c> escape without its pair. Either fails only later, when a string is read, as a 500.
/// </summary>
public static class JsonText
{
    /// <summary>What is wrong with the text of a body that parsed as JSON, in words for the client, or null when nothing is.</summary>
    public static string? FindProblem(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            return "The request body is not valid UTF-8. Send JSON text encoded as UTF-8.";
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    try
                    {
                        reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        return $"The request body has a string with a lone surrogate escape (a \\ud800–\\udfff escape without its pair) at byte {reader.TokenStartIndex}. Escape characters outside the BMP as a surrogate pair, or send them as UTF-8.";
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Not this check's concern: the JSON parser reports malformed JSON itself.
        }

        return null;
    }
}
