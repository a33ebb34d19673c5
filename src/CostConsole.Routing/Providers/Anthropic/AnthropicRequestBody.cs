using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CostConsole.Routing.Providers.Anthropic;

/// <summary>
/// Writes the Anthropic Messages body equivalent to the router's chat completions request: system and developer
/// messages become <c>system</c>, tool calls <c>tool_use</c> blocks, tool messages <c>tool_result</c> blocks in a user
/// turn, function tools <c>tools</c> with their parameters as <c>input_schema</c>, a JSON schema answer
/// <c>output_config.format</c>. Fields Anthropic has no equivalent for (logprobs, n, seed, penalties, json_object) are left out.
/// </summary>
internal static class AnthropicRequestBody
{
    /// <summary>Anthropic requires <c>max_tokens</c>; chat completions does not. Used when the client set no limit.</summary>
    public const int DefaultMaxTokens = 4096;

    public static byte[] Create(JsonElement chat, string model)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model"u8, model);
            writer.WriteNumber("max_tokens"u8, MaxTokens(chat));
            WriteMessages(writer, chat);
            if (Number(chat, "temperature") is { } temperature)
            {
                // Chat completions samples on 0..2, Messages on 0..1.
                writer.WriteNumber("temperature"u8, Math.Clamp(temperature, 0, 1));
            }

            if (Number(chat, "top_p") is { } topP)
            {
                writer.WriteNumber("top_p"u8, topP);
            }

            WriteStop(writer, chat);
            WriteTools(writer, chat);
            WriteOutputFormat(writer, chat);
            if (chat.TryGetProperty("user", out var user) && user.ValueKind == JsonValueKind.String && user.GetString() is { Length: > 0 } id)
            {
                writer.WriteStartObject("metadata"u8);
                writer.WriteString("user_id"u8, id);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static long MaxTokens(JsonElement chat)
    {
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (chat.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n > 0)
            {
                return n;
            }
        }

        return DefaultMaxTokens;
    }

    private static void WriteMessages(Utf8JsonWriter writer, JsonElement chat)
    {
        var system = new StringBuilder();
        var turns = new List<(string Role, List<Action<Utf8JsonWriter>> Blocks)>();
        if (chat.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
        {
            foreach (var message in messages.EnumerateArray())
            {
                var role = message.TryGetProperty("role", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString()! : "user";
                if (role is "system" or "developer")
                {
                    if (system.Length > 0)
                    {
                        system.Append("\n\n");
                    }

                    system.Append(Text(message));
                    continue;
                }

                var blocks = role switch
                {
                    "assistant" => AssistantBlocks(message),
                    "tool" or "function" => [ToolResult(message)],
                    _ => UserBlocks(message),
                };
                var anthropicRole = role == "assistant" ? "assistant" : "user";
                if (blocks.Count == 0)
                {
                    continue;
                }

                // Messages wants turns to alternate: a run of tool results (or of user messages) is one user turn.
                if (turns.Count > 0 && turns[^1].Role == anthropicRole)
                {
                    turns[^1].Blocks.AddRange(blocks);
                }
                else
                {
                    turns.Add((anthropicRole, blocks));
                }
            }
        }

        if (system.Length > 0)
        {
            writer.WriteString("system"u8, system.ToString());
        }

        writer.WriteStartArray("messages"u8);
        foreach (var (role, blocks) in turns)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, role);
            writer.WriteStartArray("content"u8);
            foreach (var block in blocks)
            {
                block(writer);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static List<Action<Utf8JsonWriter>> UserBlocks(JsonElement message)
    {
        var blocks = new List<Action<Utf8JsonWriter>>();
        if (!message.TryGetProperty("content", out var content))
        {
            return blocks;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            if (content.GetString() is { Length: > 0 } text)
            {
                blocks.Add(TextBlock(text));
            }

            return blocks;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return blocks;
        }

        foreach (var part in content.EnumerateArray())
        {
            var type = part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type == "text" && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String && text.GetString() is { Length: > 0 } value)
            {
                blocks.Add(TextBlock(value));
            }
            else if (type == "image_url" && part.TryGetProperty("image_url", out var image)
                && (image.ValueKind == JsonValueKind.String ? image : image.TryGetProperty("url", out var u) ? u : default) is { ValueKind: JsonValueKind.String } url)
            {
                blocks.Add(ImageBlock(url.GetString()!));
            }
        }

        return blocks;
    }

    private static List<Action<Utf8JsonWriter>> AssistantBlocks(JsonElement message)
    {
        var blocks = new List<Action<Utf8JsonWriter>>();
        if (Text(message) is { Length: > 0 } text)
        {
            blocks.Add(TextBlock(text));
        }

        if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (!call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                var id = call.TryGetProperty("id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()! : "toolu_" + Guid.NewGuid().ToString("N");
                var name = function.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
                var arguments = function.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString()! : "{}";
                blocks.Add(writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "tool_use");
                    writer.WriteString("id"u8, id);
                    writer.WriteString("name"u8, name);
                    writer.WritePropertyName("input"u8);
                    CostConsole.Routing.Protocols.Messages.MessagesResponse.WriteInput(writer, arguments);
                    writer.WriteEndObject();
                });
            }
        }

        return blocks;
    }

    private static Action<Utf8JsonWriter> ToolResult(JsonElement message)
    {
        var id = message.TryGetProperty("tool_call_id", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString()! : "";
        var text = Text(message);
        return writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "tool_result");
            writer.WriteString("tool_use_id"u8, id);
            writer.WriteString("content"u8, text);
            writer.WriteEndObject();
        };
    }

    private static Action<Utf8JsonWriter> TextBlock(string text) => writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "text");
        writer.WriteString("text"u8, text);
        writer.WriteEndObject();
    };

    /// <summary>A data URI goes as base64, any other URL as a URL source.</summary>
    private static Action<Utf8JsonWriter> ImageBlock(string url) => writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("type"u8, "image");
        writer.WriteStartObject("source"u8);
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (url.StartsWith("data:", StringComparison.OrdinalIgnoreCase) && comma > 0 && url[..comma].EndsWith(";base64", StringComparison.OrdinalIgnoreCase))
        {
            writer.WriteString("type"u8, "base64");
            writer.WriteString("media_type"u8, url[5..comma][..^";base64".Length]);
            writer.WriteString("data"u8, url[(comma + 1)..]);
        }
        else
        {
            writer.WriteString("type"u8, "url");
            writer.WriteString("url"u8, url);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    };

    private static void WriteStop(Utf8JsonWriter writer, JsonElement chat)
    {
        if (!chat.TryGetProperty("stop", out var stop))
        {
            return;
        }

        var sequences = stop.ValueKind switch
        {
            JsonValueKind.String => [stop.GetString()!],
            JsonValueKind.Array => stop.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!).ToArray(),
            _ => Array.Empty<string>(),
        };
        if (sequences.Length == 0)
        {
            return;
        }

        writer.WriteStartArray("stop_sequences"u8);
        foreach (var sequence in sequences)
        {
            writer.WriteStringValue(sequence);
        }

        writer.WriteEndArray();
    }

    private static void WriteTools(Utf8JsonWriter writer, JsonElement chat)
    {
        if (!chat.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array || tools.GetArrayLength() == 0)
        {
            return;
        }

        writer.WriteStartArray("tools"u8);
        foreach (var tool in tools.EnumerateArray())
        {
            if (!tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
            {
                continue;
            }

            writer.WriteStartObject();
            writer.WriteString("name"u8, function.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() : "");
            if (function.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
            {
                writer.WriteString("description"u8, description.GetString());
            }

            writer.WritePropertyName("input_schema"u8);
            if (function.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object)
            {
                parameters.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "object");
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        var parallel = !chat.TryGetProperty("parallel_tool_calls", out var p) || p.ValueKind != JsonValueKind.False;
        string? type = null, forced = null;
        if (chat.TryGetProperty("tool_choice", out var choice))
        {
            if (choice.ValueKind == JsonValueKind.String)
            {
                type = choice.GetString() switch { "required" => "any", "none" => "none", _ => "auto" };
            }
            else if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var f) && f.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String)
            {
                type = "tool";
                forced = n.GetString();
            }
        }

        if (type is null && parallel)
        {
            return;
        }

        writer.WriteStartObject("tool_choice"u8);
        writer.WriteString("type"u8, type ?? "auto");
        if (forced is not null)
        {
            writer.WriteString("name"u8, forced);
        }

        if (!parallel && type != "none")
        {
            writer.WriteBoolean("disable_parallel_tool_use"u8, true);
        }

        writer.WriteEndObject();
    }

    private static void WriteOutputFormat(Utf8JsonWriter writer, JsonElement chat)
    {
        if (chat.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("json_schema", out var jsonSchema) && jsonSchema.ValueKind == JsonValueKind.Object
            && jsonSchema.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object)
        {
            writer.WriteStartObject("output_config"u8);
            writer.WriteStartObject("format"u8);
            writer.WriteString("type"u8, "json_schema");
            writer.WritePropertyName("schema"u8);
            schema.WriteTo(writer);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
    }

    /// <summary>A message's text: its string content, or its text parts joined.</summary>
    private static string Text(JsonElement message)
    {
        if (!message.TryGetProperty("content", out var content))
        {
            return "";
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return "";
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
            {
                text.Append(t.GetString());
            }
        }

        return text.ToString();
    }

    private static double? Number(JsonElement chat, string name) =>
        chat.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
}
