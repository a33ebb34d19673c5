using System.Buffers;
using System.Text.Json;

namespace CostConsole.Web.Playground;

/// <summary>Turns the playground's form into the OpenAI request body and tags header a client would send.</summary>
public static class PlaygroundRequest
{
    /// <param name="model">Overrides the form's model (the compare view sends each tier).</param>
    /// <param name="stream">Overrides the form's stream choice.</param>
    public static ReadOnlyMemory<byte> Body(PlaygroundForm form, string? model = null, bool? stream = null)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", model ?? form.Model);
            json.WriteStartArray("messages");
            foreach (var turn in form.Turns)
            {
                json.WriteStartObject();
                json.WriteString("role", turn.Role);
                json.WriteString("content", turn.Content);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            var metadata = form.Metadata.Where(m => m.Key.Trim().Length > 0).ToList();
            if (metadata.Count > 0)
            {
                json.WriteStartObject("metadata");
                foreach (var entry in metadata)
                {
                    json.WriteString(entry.Key.Trim(), entry.Value);
                }

                json.WriteEndObject();
            }

            if (!string.IsNullOrWhiteSpace(form.Tools))
            {
                json.WritePropertyName("tools");
                using var tools = JsonDocument.Parse(form.Tools);
                tools.RootElement.WriteTo(json);
            }

            if (form.Json)
            {
                json.WriteStartObject("response_format");
                json.WriteString("type", "json_object");
                json.WriteEndObject();
            }

            if (form.MaxTokens is { } max)
            {
                json.WriteNumber("max_tokens", max);
            }

            if (stream ?? form.Stream)
            {
                json.WriteBoolean("stream", true);
                json.WriteStartObject("stream_options");
                json.WriteBoolean("include_usage", true);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    public static string? TagsHeader(PlaygroundForm form) => string.IsNullOrWhiteSpace(form.Tags) ? null : form.Tags.Trim();
}
