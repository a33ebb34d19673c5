using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace CostConsole.Simulator;

/// <summary>
/// Builds a JSON value that satisfies a JSON Schema, as a model in strict structured-output mode would: types,
/// <c>required</c> and every declared property, <c>enum</c> and <c>const</c>, nested objects and arrays with their
/// item counts, number bounds, string lengths and the simple formats (date, date-time, time, email, uri, uuid),
/// <c>anyOf</c>/<c>oneOf</c> (the first branch), <c>allOf</c> (merged) and local <c>$ref</c>s. Values come from the
/// prompt where one fits (a place, a number, an e-mail address, an enum value it mentions), otherwise from the seed.
/// </summary>
internal sealed partial class SchemaInstance
{
    private const int MaxDepth = 12;

    private static readonly string[] TextNames = ["answer", "reply", "response", "text", "content", "message", "summary", "body", "explanation", "reason", "description", "query", "question", "prompt"];

    private static readonly string[] PlaceNames = ["location", "city", "place", "country", "destination", "region", "address", "town"];

    private static readonly string[] Words = ["account", "billing", "order", "renewal", "priority", "support", "standard", "review", "update", "status"];

    private readonly JsonElement _root;
    private readonly Random _random;
    private readonly string _prompt;
    private readonly string _text;

    private SchemaInstance(JsonElement root, Random random, string prompt, string text)
    {
        _root = root;
        _random = random;
        _prompt = prompt;
        _text = text;
    }

    /// <summary>
    /// A value for <paramref name="schema"/>, as compact JSON. <paramref name="prompt"/> is what the user asked;
    /// <paramref name="text"/> fills fields meant for prose (answer, summary, text…).
    /// </summary>
    public static string Create(JsonElement? schema, Random random, string prompt, string text)
    {
        var node = schema is { } root ? new SchemaInstance(root, random, prompt, text).Value(root, null, 0) : new JsonObject();
        return node?.ToJsonString(ChatCompletionJson.NodeOptions) ?? "null";
    }

    private JsonNode? Value(JsonElement schema, string? name, int depth)
    {
        if (schema.ValueKind == JsonValueKind.True || schema.ValueKind != JsonValueKind.Object)
        {
            return JsonValue.Create(Text(name, default));
        }

        if (schema.TryGetProperty("$ref", out var reference) && reference.ValueKind == JsonValueKind.String
            && depth < MaxDepth && Resolve(reference.GetString()!) is { } target)
        {
            return Value(target, name, depth + 1);
        }

        if (schema.TryGetProperty("const", out var constant))
        {
            return JsonNode.Parse(constant.GetRawText());
        }

        if (schema.TryGetProperty("enum", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            return JsonNode.Parse(PickEnum(choices).GetRawText());
        }

        foreach (var keyword in (ReadOnlySpan<string>)["anyOf", "oneOf"])
        {
            if (schema.TryGetProperty(keyword, out var branches) && branches.ValueKind == JsonValueKind.Array && branches.GetArrayLength() > 0)
            {
                // A non-null branch when there is one: "anyOf": [{...}, {"type": "null"}] is how optional fields are written.
                var branch = branches.EnumerateArray().FirstOrDefault(b => TypeOf(b) != "null");
                return Value(branch.ValueKind == JsonValueKind.Undefined ? branches[0] : branch, name, depth + 1);
            }
        }

        if (schema.TryGetProperty("allOf", out var parts) && parts.ValueKind == JsonValueKind.Array && parts.GetArrayLength() > 0)
        {
            return AllOf(schema, parts, name, depth);
        }

        return TypeOf(schema) switch
        {
            "object" => Object(schema, depth),
            "array" => Array(schema, name, depth),
            "integer" => JsonValue.Create((long)Number(schema, name, integer: true)),
            "number" => JsonValue.Create(Number(schema, name, integer: false)),
            "boolean" => JsonValue.Create(_random.Next(2) == 0),
            "null" => null,
            _ => JsonValue.Create(Text(name, schema)),
        };
    }

    /// <summary>The schema's type: the first that is not "null" of a type list, or what its keywords imply.</summary>
    private static string? TypeOf(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (schema.TryGetProperty("type", out var type))
        {
            if (type.ValueKind == JsonValueKind.String)
            {
                return type.GetString();
            }

            if (type.ValueKind == JsonValueKind.Array)
            {
                var types = type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()).ToList();
                return types.FirstOrDefault(t => t != "null") ?? types.FirstOrDefault();
            }
        }

        return schema.TryGetProperty("properties", out _) || schema.TryGetProperty("required", out _) ? "object"
            : schema.TryGetProperty("items", out _) ? "array"
            : null;
    }

    private JsonElement? Resolve(string reference)
    {
        if (reference == "#")
        {
            return _root;
        }

        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        var current = _root;
        foreach (var segment in reference[2..].Split('/'))
        {
            var key = Uri.UnescapeDataString(segment).Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(key, out current))
            {
                return null;
            }
        }

        return current;
    }

    private JsonObject Object(JsonElement schema, int depth)
    {
        var result = new JsonObject();
        var required = schema.TryGetProperty("required", out var r) && r.ValueKind == JsonValueKind.Array
            ? r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];
        if (schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in properties.EnumerateObject())
            {
                // Deep in a recursive schema only what is required, so the value ends.
                if (depth >= MaxDepth / 2 && !required.Contains(property.Name))
                {
                    continue;
                }

                result[property.Name] = Value(property.Value, property.Name, depth + 1);
            }
        }

        // A required name without a declared schema still gets a value.
        foreach (var name in required.Where(name => !result.ContainsKey(name)))
        {
            result[name] = JsonValue.Create(Text(name, default));
        }

        return result;
    }

    private JsonArray Array(JsonElement schema, string? name, int depth)
    {
        var min = Integer(schema, "minItems") ?? 0;
        var max = Integer(schema, "maxItems") ?? long.MaxValue;
        var count = depth >= MaxDepth / 2 ? min : Math.Clamp(1 + _random.Next(2), min, max);
        var items = schema.TryGetProperty("items", out var i) && i.ValueKind == JsonValueKind.Object ? i : default;
        var unique = schema.TryGetProperty("uniqueItems", out var u) && u.ValueKind == JsonValueKind.True;
        var result = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var attempt = 0; result.Count < count && attempt < count * 8 + 8; attempt++)
        {
            var item = items.ValueKind == JsonValueKind.Object ? Value(items, Singular(name), depth + 1) : JsonValue.Create(Text(Singular(name), default));
            if (unique && item is JsonValue value && value.TryGetValue<string>(out var text) && seen.Contains(item.ToJsonString()))
            {
                // Distinct strings: the same kind of value, told apart by another word.
                var word = Words[attempt % Words.Length];
                var maxLength = items.ValueKind == JsonValueKind.Object ? Integer(items, "maxLength") ?? int.MaxValue : int.MaxValue;
                item = JsonValue.Create(text.Length + word.Length + 1 <= maxLength ? text + " " + word : word);
            }

            if (unique && !seen.Add(item?.ToJsonString() ?? "null"))
            {
                continue;
            }

            result.Add(item);
        }

        return result;
    }

    /// <summary>allOf: the parts' properties and requirements together; anything else from the first part that has a type.</summary>
    private JsonNode? AllOf(JsonElement schema, JsonElement parts, string? name, int depth)
    {
        var branches = parts.EnumerateArray().Select(p => p.TryGetProperty("$ref", out var rf) && rf.ValueKind == JsonValueKind.String && Resolve(rf.GetString()!) is { } t ? t : p).ToList();
        if (TypeOf(schema) is not ("object" or null) || !branches.All(b => TypeOf(b) is "object" or null))
        {
            return Value(branches.First(b => TypeOf(b) is not null), name, depth + 1);
        }

        var merged = new JsonObject();
        foreach (var branch in branches.Append(schema))
        {
            if (TypeOf(branch) == "object" && Object(branch, depth + 1) is { } part)
            {
                foreach (var (key, value) in part.ToList())
                {
                    part.Remove(key);
                    merged[key] = value;
                }
            }
        }

        return merged;
    }

    private JsonElement PickEnum(JsonElement choices)
    {
        // The value the prompt mentions, as a model would pick it; otherwise one drawn from the seed.
        foreach (var choice in choices.EnumerateArray())
        {
            if (choice.ValueKind == JsonValueKind.String && choice.GetString() is { Length: > 1 } text
                && Regex.IsMatch(_prompt, $@"\b{Regex.Escape(text)}\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50)))
            {
                return choice;
            }
        }

        return choices[_random.Next(choices.GetArrayLength())];
    }

    private double Number(JsonElement schema, string? name, bool integer)
    {
        var min = Double(schema, "minimum") ?? (Double(schema, "exclusiveMinimum") is { } exclusiveMin ? exclusiveMin + (integer ? 1 : 0.01) : (double?)null);
        var max = Double(schema, "maximum") ?? (Double(schema, "exclusiveMaximum") is { } exclusiveMax ? exclusiveMax - (integer ? 1 : 0.01) : (double?)null);
        var low = min ?? (max is { } m ? Math.Min(1, m) : 1);
        var high = max ?? Math.Max(low, 100);
        if (integer)
        {
            low = Math.Ceiling(low);
            high = Math.Floor(high);
        }

        var fromPrompt = NumberInPrompt(name, integer);
        var value = fromPrompt is { } p && p >= low && p <= high
            ? p
            : integer ? Math.Floor(low + _random.NextDouble() * (high - low + 1)) : Math.Round(low + _random.NextDouble() * (high - low), 2);
        value = Math.Clamp(value, low, high);
        if (Double(schema, "multipleOf") is { } step && step > 0)
        {
            value = Math.Ceiling(low / step) * step;
        }

        return value;
    }

    private double? NumberInPrompt(string? name, bool integer)
    {
        // Ids and counts the user wrote ("order 1042", "3 seats") are what a model would put in a numeric argument.
        var match = NumberPattern().Match(_prompt);
        if (!match.Success || name is null)
        {
            return null;
        }

        var value = double.Parse(match.Value, CultureInfo.InvariantCulture);
        return integer && value != Math.Floor(value) ? null : value;
    }

    private string Text(string? name, JsonElement schema)
    {
        var format = schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        var lower = name?.ToLowerInvariant() ?? "";
        var text = format switch
        {
            "date" => Date().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            "date-time" => Date().AddHours(9 + _random.Next(8)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            "time" => string.Create(CultureInfo.InvariantCulture, $"{9 + _random.Next(9):00}:{_random.Next(4) * 15:00}:00"),
            "email" => EmailPattern().Match(_prompt) is { Success: true } email ? email.Value : "alex.morgan@example.com",
            "uri" or "url" => UrlPattern().Match(_prompt) is { Success: true } url ? url.Value : "https://example.com/" + Words[_random.Next(Words.Length)],
            "uuid" => Uuid(),
            _ => null,
        };

        text ??= lower switch
        {
            _ when TextNames.Any(lower.Contains) => _text,
            _ when PlaceNames.Any(lower.Contains) => ProperNoun() ?? "Paris",
            _ when lower.Contains("phone", StringComparison.Ordinal) || lower == "number" => "+1 555 01" + _random.Next(10, 99).ToString(CultureInfo.InvariantCulture),
            _ when lower.Contains("email", StringComparison.Ordinal) => EmailPattern().Match(_prompt) is { Success: true } email ? email.Value : "alex.morgan@example.com",
            _ when lower.EndsWith("id", StringComparison.Ordinal) || lower.Contains("number", StringComparison.Ordinal) => Identifier(),
            _ when lower.Contains("name", StringComparison.Ordinal) => ProperNoun() ?? "Alex Morgan",
            _ when lower.Contains("date", StringComparison.Ordinal) => Date().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            _ => Keywords(),
        };

        var minLength = schema.ValueKind == JsonValueKind.Object ? Integer(schema, "minLength") ?? 0 : 0;
        var maxLength = schema.ValueKind == JsonValueKind.Object ? Integer(schema, "maxLength") : null;
        if (format is null)
        {
            while (text.Length < minLength)
            {
                text += (text.Length == 0 ? "" : " ") + Words[_random.Next(Words.Length)];
            }

            if (maxLength is { } limit && text.Length > limit)
            {
                text = text[..(int)limit].TrimEnd();
                text = text.PadRight((int)Math.Min(minLength, limit), 'x');
            }
        }

        return text;
    }

    private DateTime Date() => new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddDays(_random.Next(365));

    private string Uuid()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes).ToString();
    }

    private string Identifier() =>
        IdentifierPattern().Match(_prompt) is { Success: true } id ? id.Value : "ORD-" + _random.Next(10_000, 99_999).ToString(CultureInfo.InvariantCulture);

    /// <summary>A capitalised word that does not start a sentence: a name or a place, most likely.</summary>
    private string? ProperNoun()
    {
        foreach (Match match in ProperNounPattern().Matches(_prompt))
        {
            var before = _prompt[..match.Index].TrimEnd();
            if (before.Length > 0 && before[^1] is not ('.' or '?' or '!' or ':' or '"'))
            {
                return match.Value;
            }
        }

        return null;
    }

    /// <summary>The first few content words of the prompt: what a model would put in a short free-text argument.</summary>
    private string Keywords()
    {
        var words = WordPattern().Matches(_prompt).Select(m => m.Value).Where(w => w.Length > 3 && !StopWords.Contains(w)).Take(3).ToList();
        return words.Count > 0 ? string.Join(' ', words).ToLowerInvariant() : Words[_random.Next(Words.Length)];
    }

    private static string? Singular(string? name) => name is { Length: > 3 } && name.EndsWith('s') ? name[..^1] : name;

    private static long? Integer(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    private static double? Double(JsonElement schema, string keyword) =>
        schema.TryGetProperty(keyword, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    internal static readonly HashSet<string> StopWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "what", "whats", "what's", "when", "where", "which", "with", "would", "could", "should", "please", "about", "there", "their",
        "this", "that", "them", "they", "have", "from", "your", "into", "tell", "give", "show", "need", "want", "like", "does",
        "some", "then", "than", "also", "just", "will", "been", "were", "make", "know", "call", "function", "tool", "current",
        "using", "return", "returns", "value", "values", "given", "list", "find", "look", "check", "fetch", "for", "the", "and",
    };

    [GeneratedRegex(@"-?\b\d+(\.\d+)?\b", RegexOptions.CultureInvariant)]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[\w.+-]+@[\w-]+(\.[\w-]+)+", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"https?://[^\s""'<>]+", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"\b(?=[A-Z0-9-]*\d)[A-Z][A-Z0-9-]{3,}\b|\b\d{4,}\b", RegexOptions.CultureInvariant)]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex(@"\b\p{Lu}\p{Ll}+(\s\p{Lu}\p{Ll}+)?\b", RegexOptions.CultureInvariant)]
    private static partial Regex ProperNounPattern();

    [GeneratedRegex(@"[\p{L}']+", RegexOptions.CultureInvariant)]
    internal static partial Regex WordPattern();
}
