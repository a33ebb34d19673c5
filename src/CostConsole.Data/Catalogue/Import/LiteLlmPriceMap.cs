using System.Globalization;
using System.Text.Json;
using CostConsole.Routing.Catalogue;

namespace CostConsole.Data.Catalogue.Import;

/// <summary>
/// Reads LiteLLM's <c>model_prices_and_context_window.json</c>: one object keyed by model id, prices in USD per token.
/// Every field is optional and upstream adds fields and providers all the time, so the reader keeps what it
/// understands, ignores the rest, and turns an unreadable value into "unknown" rather than failing the file.
/// </summary>
public static class LiteLlmPriceMap
{
    private const string ShippedMapResource = "CostConsole.Data.PriceMap.json";
    private const string ShippedLicenseResource = "CostConsole.Data.PriceMap.LICENSE";
    private const decimal TokensPerMillion = 1_000_000m;

    // Top-level keys that are objects but not models: the schema's own documentation and LiteLLM's routing rules.
    private static readonly HashSet<string> NotModels = new(StringComparer.Ordinal) { "sample_spec", "fallback_generalizations" };

    private static readonly Lazy<string> License = new(() =>
    {
        using var reader = new StreamReader(OpenResource(ShippedLicenseResource));
        return reader.ReadToEnd();
    });

    /// <summary>The MIT license the shipped map is under, to show wherever its data is shown.</summary>
    public static string ShippedLicense => License.Value;

    /// <summary>The price map that ships with CostConsole (see <c>Catalogue/PriceMap/</c> for its version).</summary>
    public static Stream OpenShipped() => OpenResource(ShippedMapResource);

    /// <exception cref="PriceMapFormatException">The stream is not JSON, its root is not an object, or it has no model entries.</exception>
    public static async Task<PriceMap> ParseAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(stream, default, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new PriceMapFormatException($"The file is not valid JSON: {Where(ex)}{Reason(ex)}", ex);
        }

        using (document)
        {
            return Read(document.RootElement);
        }
    }

    private static PriceMap Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new PriceMapFormatException($"The file is a JSON {KindName(root.ValueKind)}; a LiteLLM price map is one object keyed by model id.");
        }

        // A repeated key keeps its last value, as LiteLLM's own (Python) reader does.
        var entries = new List<PriceMapEntry>();
        var positions = new Dictionary<string, int>(StringComparer.Ordinal);
        var keys = 0;
        foreach (var property in root.EnumerateObject())
        {
            keys++;
            if (ReadEntry(property) is not { } entry)
            {
                continue;
            }

            if (positions.TryGetValue(entry.Key, out var position))
            {
                entries[position] = entry;
            }
            else
            {
                positions[entry.Key] = entries.Count;
                entries.Add(entry);
            }
        }

        if (entries.Count == 0)
        {
            throw new PriceMapFormatException(keys == 0
                ? "The file is an empty JSON object; a LiteLLM price map has one entry per model."
                : $"None of the file's {keys} top-level keys is a model entry (an object with a \"litellm_provider\"); is this a LiteLLM price map?");
        }

        return new PriceMap(entries);
    }

    /// <summary>A model entry, or null for a key that is not one: the two known non-models, anything not an object, and objects without a provider.</summary>
    private static PriceMapEntry? ReadEntry(JsonProperty property)
    {
        var value = property.Value;
        if (NotModels.Contains(property.Name) || value.ValueKind != JsonValueKind.Object || Text(value, "litellm_provider") is not { Length: > 0 } provider)
        {
            return null;
        }

        var capabilities = ModelCapabilities.None;
        if (IsTrue(value, "supports_function_calling"))
        {
            capabilities |= ModelCapabilities.Tools;
        }

        if (IsTrue(value, "supports_vision"))
        {
            capabilities |= ModelCapabilities.Vision;
        }

        if (IsTrue(value, "supports_response_schema"))
        {
            capabilities |= ModelCapabilities.JsonSchema;
        }

        return new PriceMapEntry(
            property.Name,
            provider,
            Text(value, "mode"),
            PerMillion(value, "input_cost_per_token"),
            PerMillion(value, "output_cost_per_token"),
            PerMillion(value, "cache_read_input_token_cost"),
            TokenCount(value, "max_input_tokens") ?? TokenCount(value, "max_tokens"),
            capabilities,
            Text(value, "deprecation_date") is { } date && DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var deprecation)
                ? deprecation
                : null,
            PerMillion(value, "cache_creation_input_token_cost"));
    }

    /// <summary>
    /// USD per token → USD per 1M tokens, computed in decimal from the number's text: going through double
    /// would turn <c>1.2345678901234567e-06</c> into a rounded neighbour.
    /// </summary>
    private static decimal? PerMillion(JsonElement entry, string field)
    {
        if (Number(entry, field) is not { } perToken || perToken < 0 || perToken > decimal.MaxValue / TokensPerMillion)
        {
            return null;
        }

        // Dividing by a one with many zeros drops trailing zeros, so 1e-07 is stored and shown as 0.1, not 0.1000000.
        return perToken * TokensPerMillion / 1.000000000000000000000000000m;
    }

    /// <summary>A positive whole number of tokens; <c>2000000.0</c> counts as whole, <c>1.5</c> does not.</summary>
    private static long? TokenCount(JsonElement entry, string field) =>
        Number(entry, field) is { } count && count > 0 && count == decimal.Truncate(count) && count <= long.MaxValue
            ? (long)count
            : null;

    private static decimal? Number(JsonElement entry, string field) =>
        entry.TryGetProperty(field, out var value)
        && value.ValueKind == JsonValueKind.Number
        && decimal.TryParse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number
            : null;

    private static string? Text(JsonElement entry, string field) =>
        entry.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static bool IsTrue(JsonElement entry, string field) =>
        entry.TryGetProperty(field, out var value) && value.ValueKind == JsonValueKind.True;

    private static string Where(JsonException ex) =>
        ex.LineNumber is { } line ? $"line {line + 1}, position {(ex.BytePositionInLine ?? 0) + 1}: " : "";

    /// <summary>The reader's explanation without its own zero-based position suffix, which <see cref="Where"/> restates for people.</summary>
    private static string Reason(JsonException ex)
    {
        var message = ex.Message;
        var suffix = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return suffix > 0 ? message[..suffix] : message;
    }

    private static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static Stream OpenResource(string name) =>
        typeof(LiteLlmPriceMap).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The resource '{name}' is missing from {typeof(LiteLlmPriceMap).Assembly.GetName().Name}; the build did not embed it.");
}
