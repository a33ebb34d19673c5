using System.Collections.Concurrent;
using System.Text.Json;

namespace CostConsole.Routing.Escalation;

/// <summary>Checks an answer given in JSON mode: it must parse, and match the request's JSON schema when one was given.</summary>
public static class JsonAnswer
{
    private const int MaxCachedSchemas = 256;

    // Clients send the same few schemas over and over: parse each once.
    private static readonly ConcurrentDictionary<string, NJsonSchema.JsonSchema?> Schemas = new(StringComparer.Ordinal);

    /// <summary>Why <paramref name="content"/> is not an acceptable JSON answer, or null when it is.</summary>
    public static string? Problem(string content, string? schema)
    {
        try
        {
            using var document = JsonDocument.Parse(content);
        }
        catch (JsonException ex)
        {
            return "the answer is not valid JSON: " + ex.Message;
        }

        if (string.IsNullOrEmpty(schema) || Load(schema) is not { } compiled)
        {
            return null;
        }

        var errors = compiled.Validate(content);
        return errors.Count == 0
            ? null
            : "the answer does not match the requested JSON schema: " + string.Join("; ", errors.Take(3).Select(e => $"{e.Path ?? "#"} {e.Kind}"));
    }

    /// <summary>The schema, or null when it cannot be read (the answer is then only checked for being JSON).</summary>
    private static NJsonSchema.JsonSchema? Load(string schema)
    {
        if (Schemas.TryGetValue(schema, out var cached))
        {
            return cached;
        }

        NJsonSchema.JsonSchema? parsed;
        try
        {
            // Only references inside the schema itself: a client's schema must not make the router fetch URLs or files.
            parsed = HasExternalReference(schema) ? null : NJsonSchema.JsonSchema.FromJsonAsync(schema).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is Newtonsoft.Json.JsonException or InvalidOperationException or NotSupportedException or ArgumentException)
        {
            parsed = null;
        }

        if (Schemas.Count >= MaxCachedSchemas)
        {
            Schemas.Clear();
        }

        Schemas[schema] = parsed;
        return parsed;
    }

    private static bool HasExternalReference(string schema)
    {
        try
        {
            using var document = JsonDocument.Parse(schema);
            return External(document.RootElement);
        }
        catch (JsonException)
        {
            return true;
        }

        static bool External(JsonElement element) => element.ValueKind switch
        {
            JsonValueKind.Object => element.EnumerateObject().Any(p =>
                (p.NameEquals("$ref") && !(p.Value.ValueKind == JsonValueKind.String && p.Value.GetString()!.StartsWith('#'))) || External(p.Value)),
            JsonValueKind.Array => element.EnumerateArray().Any(External),
            _ => false,
        };
    }
}
