using System.Buffers;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Protocols.Messages;

/// <summary>An Anthropic Messages request read into the router's request, with the fields that had to be left out.</summary>
/// <param name="Dropped">Fields the routed models cannot honour and that were left out rather than refused, by name.</param>
public sealed record MessagesRequest(ChatRequest Request, IReadOnlyList<string> Dropped) : IDisposable
{
    public void Dispose() => Request.Dispose();
}

/// <summary>
/// Reads an Anthropic Messages body (<c>POST /v1/messages</c>) once, writes the equivalent chat completions body (what a
/// chat upstream is sent) and gives the router what it read on the way, so the body is never parsed again: rules,
/// budgets, escalation and the ledger see one kind of request whichever API the client spoke. Anything that has no equivalent is refused with a message naming it, or — when
/// leaving it out changes only how the answer is sampled or cached — dropped and named in <see cref="MessagesRequest.Dropped"/>.
/// </summary>
public static class MessagesRequestParser
{
    /// <summary>Top-level fields read and mapped.</summary>
    private static readonly HashSet<string> Mapped = new(StringComparer.Ordinal)
    {
        "model", "max_tokens", "system", "messages", "tools", "tool_choice", "stop_sequences", "temperature", "top_p", "metadata", "stream",
    };

    /// <summary>Top-level fields that only tune sampling, caching or thinking: left out, and the client told.</summary>
    private static readonly HashSet<string> Droppable = new(StringComparer.Ordinal) { "top_k", "thinking", "service_tier" };

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Parses a <c>/v1/messages</c> body.</summary>
    /// <param name="counting">
    /// True for <c>/v1/messages/count_tokens</c>, whose body has no <c>max_tokens</c> and is never answered.
    /// </param>
    /// <exception cref="ChatRequestException">The body is not JSON, or cannot be served as sent; the message says what to change.</exception>
    public static MessagesRequest Parse(ReadOnlyMemory<byte> body, string? tagsHeader, ITokenCounter tokens, bool counting = false)
    {
        var read = new Translation();
        var (chatBody, dropped) = Translate(body, counting, read);
        var request = ChatRequestParser.Translated(
            new TranslatedChatBody(chatBody, read.AfterModel), read.Model, read.Turns, read.HasTools, read.Stream, wantsJson: false, read.MaxTokens, read.User,
            metadata: default, tagsHeader, tokens, read.Stop);
        return new MessagesRequest(request, dropped);
    }

    /// <summary>The chat completions body equivalent to a Messages body, and the fields left out of it.</summary>
    /// <exception cref="ChatRequestException">The body cannot be served as sent.</exception>
    public static (ReadOnlyMemory<byte> Body, IReadOnlyList<string> Dropped) Translate(ReadOnlyMemory<byte> body, bool counting = false) =>
        Translate(body, counting, new Translation());

    /// <summary>What the router reads of the chat body, gathered while it is written so it is never parsed again.</summary>
    private sealed class Translation
    {
        public string? Model { get; set; }

        /// <summary>Where the chat body's properties after the model start.</summary>
        public int AfterModel { get; set; } = 1;

        public List<ChatTurn> Turns { get; } = [];

        public bool HasTools { get; set; }

        public bool Stream { get; set; }

        public int? MaxTokens { get; set; }

        public string? User { get; set; }

        public IReadOnlyList<string>? Stop { get; set; }

        /// <summary>Writes one chat message of only a role and text content, and keeps it as a turn.</summary>
        public void WriteTurn(Utf8JsonWriter writer, string role, string text)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, role);
            writer.WriteString("content"u8, text);
            writer.WriteEndObject();
            Turns.Add(new ChatTurn(role, text));
        }
    }

    private static (ReadOnlyMemory<byte> Body, IReadOnlyList<string> Dropped) Translate(ReadOnlyMemory<byte> body, bool counting, Translation read)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException ex)
        {
            throw new ChatRequestException("invalid_json", $"The request body is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            if (JsonText.FindProblem(body.Span) is { } problem)
            {
                throw new ChatRequestException("invalid_json", problem);
            }

            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new ChatRequestException("invalid_json", "The request body must be a JSON object.");
            }

            var dropped = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (Droppable.Contains(property.Name))
                {
                    if (property.Value.ValueKind != JsonValueKind.Null)
                    {
                        dropped.Add(property.Name);
                    }
                }
                else if (!Mapped.Contains(property.Name))
                {
                    throw new ChatRequestException(
                        "unsupported_field",
                        $"'{property.Name}' is not supported by CostConsole's Messages endpoint. Supported: {string.Join(", ", Mapped)}; {string.Join(", ", Droppable)} are accepted and ignored.",
                        property.Name);
                }
            }

            using var buffer = new PooledBuffer(body.Length + 256);
            using (var writer = new Utf8JsonWriter(buffer, MessagesResponse.WriterOptions))
            {
                writer.WriteStartObject();
                read.Model = WriteModel(root, writer);
                read.AfterModel = (int)(writer.BytesCommitted + writer.BytesPending);
                read.MaxTokens = WriteMaxTokens(root, writer, counting);
                WriteMessages(root, writer, dropped, read);
                read.HasTools = WriteTools(root, writer, dropped);
                read.Stop = WriteSampling(root, writer);
                read.User = WriteUser(root, writer);
                read.Stream = WriteStream(root, writer);
                writer.WriteEndObject();
            }

            return (buffer.ToArray(), dropped.ToList());
        }
    }

    private static string WriteModel(JsonElement root, Utf8JsonWriter writer)
    {
        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
        {
            throw new ChatRequestException("invalid_model", "'model' is required: \"auto\", a tier or a model id from GET /v1/models.", "model");
        }

        var name = model.GetString()!;
        writer.WriteString("model"u8, name);
        return name;
    }

    private static int? WriteMaxTokens(JsonElement root, Utf8JsonWriter writer, bool counting)
    {
        var present = root.TryGetProperty("max_tokens", out var max) && max.ValueKind != JsonValueKind.Null;
        if (counting && !present)
        {
            return null;
        }

        if (!present)
        {
            throw new ChatRequestException("missing_max_tokens", "'max_tokens' is required: the most tokens the answer may have, a positive whole number.", "max_tokens");
        }

        if (max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out var value) || value <= 0)
        {
            throw new ChatRequestException("invalid_max_tokens", "'max_tokens' must be a positive whole number.", "max_tokens");
        }

        writer.WriteNumber("max_tokens"u8, value);
        return value;
    }

    private static void WriteMessages(JsonElement root, Utf8JsonWriter writer, SortedSet<string> dropped, Translation read)
    {
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            throw new ChatRequestException("missing_messages", "'messages' is required: a non-empty array of {role, content} objects.", "messages");
        }

        writer.WriteStartArray("messages"u8);
        if (root.TryGetProperty("system", out var system) && system.ValueKind != JsonValueKind.Null)
        {
            var text = system.ValueKind == JsonValueKind.String ? system.GetString()! : TextBlocks(system, "system", dropped);
            read.WriteTurn(writer, "system", text);
        }

        var toolUses = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            var path = $"messages[{index}]";
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var roleElement) || roleElement.ValueKind != JsonValueKind.String)
            {
                throw new ChatRequestException("invalid_message", $"{path} must be an object with a string 'role'.", path);
            }

            var role = roleElement.GetString();
            if (role is not ("user" or "assistant"))
            {
                throw new ChatRequestException(
                    "invalid_message", $"{path}.role is '{role}'; it must be \"user\" or \"assistant\". Put system instructions in the top-level 'system' field.", path + ".role");
            }

            if (!message.TryGetProperty("content", out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
            {
                throw new ChatRequestException("invalid_message", $"{path}.content must be a string or an array of content blocks.", path + ".content");
            }

            if (role == "assistant")
            {
                WriteAssistant(content, path, writer, toolUses, dropped, read);
            }
            else
            {
                WriteUser(content, path, writer, toolUses, dropped, read);
            }

            index++;
        }

        writer.WriteEndArray();
    }

    /// <summary>An assistant turn: its text, and its <c>tool_use</c> blocks as tool calls.</summary>
    private static void WriteAssistant(JsonElement content, string path, Utf8JsonWriter writer, HashSet<string> toolUses, SortedSet<string> dropped, Translation read)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            read.WriteTurn(writer, "assistant", content.GetString()!);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("role"u8, "assistant");

        var text = new StringBuilder();
        var calls = new List<JsonElement>();
        var i = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockPath = $"{path}.content[{i++}]";
            switch (BlockType(block, blockPath, dropped))
            {
                case "text":
                    AppendText(text, BlockText(block, blockPath));
                    break;
                case "tool_use":
                    var id = RequiredString(block, "id", blockPath);
                    RequiredString(block, "name", blockPath);
                    if (!block.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Object)
                    {
                        throw new ChatRequestException("invalid_content", $"{blockPath}.input must be an object: the tool's arguments.", blockPath + ".input");
                    }

                    toolUses.Add(id);
                    calls.Add(block);
                    break;
                default:
                    throw Unsupported(block, blockPath, "in an assistant turn only text and tool_use blocks are");
            }
        }

        if (calls.Count > 0 && text.Length == 0)
        {
            writer.WriteNull("content"u8);
            read.Turns.Add(new ChatTurn("assistant", string.Empty));
        }
        else
        {
            var answer = text.ToString();
            writer.WriteString("content"u8, answer);
            read.Turns.Add(new ChatTurn("assistant", answer));
        }

        if (calls.Count > 0)
        {
            writer.WriteStartArray("tool_calls"u8);
            foreach (var call in calls)
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, call.GetProperty("id").GetString());
                writer.WriteString("type"u8, "function");
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, call.GetProperty("name").GetString());
                writer.WriteString("arguments"u8, call.GetProperty("input").GetRawText());
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    /// <summary>
    /// A user turn: each <c>tool_result</c> becomes a tool message (first, as chat completions wants them right after the
    /// assistant's calls), then the turn's text as a user message.
    /// </summary>
    private static void WriteUser(JsonElement content, string path, Utf8JsonWriter writer, HashSet<string> toolUses, SortedSet<string> dropped, Translation read)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            read.WriteTurn(writer, "user", content.GetString()!);
            return;
        }

        var text = new StringBuilder();
        var hasText = false;
        var i = 0;
        foreach (var block in content.EnumerateArray())
        {
            var blockPath = $"{path}.content[{i++}]";
            switch (BlockType(block, blockPath, dropped))
            {
                case "text":
                    AppendText(text, BlockText(block, blockPath));
                    hasText = true;
                    break;
                case "tool_result":
                    var id = RequiredString(block, "tool_use_id", blockPath);
                    if (!toolUses.Contains(id))
                    {
                        throw new ChatRequestException(
                            "unknown_tool_use_id",
                            $"{blockPath}.tool_use_id is '{id}', but no earlier assistant turn has a tool_use block with that id. Send the assistant turn with the tool_use before its result.",
                            blockPath + ".tool_use_id");
                    }

                    var result = ToolResultText(block, blockPath, dropped);
                    var isError = block.TryGetProperty("is_error", out var error) && error.ValueKind == JsonValueKind.True;
                    var toolText = isError ? ToolErrorPrefix + result : result;
                    writer.WriteStartObject();
                    writer.WriteString("role"u8, "tool");
                    writer.WriteString("tool_call_id"u8, id);
                    writer.WriteString("content"u8, toolText);
                    writer.WriteEndObject();
                    read.Turns.Add(new ChatTurn("tool", toolText));
                    break;
                default:
                    throw Unsupported(block, blockPath, "in a user turn only text and tool_result blocks are");
            }
        }

        if (hasText || i == 0)
        {
            read.WriteTurn(writer, "user", text.ToString());
        }
    }

    /// <summary>Chat completions has no error flag on a tool's result: the text says so instead.</summary>
    public const string ToolErrorPrefix = "Error: ";

    private static string ToolResultText(JsonElement block, string path, SortedSet<string> dropped)
    {
        if (!block.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return string.Empty;
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString()!,
            JsonValueKind.Array => TextBlocks(content, path + ".content", dropped),
            _ => throw new ChatRequestException("invalid_content", $"{path}.content must be a string or an array of text blocks.", path + ".content"),
        };
    }

    /// <summary>The text of an array that may hold only text blocks (system, a tool's result).</summary>
    private static string TextBlocks(JsonElement blocks, string path, SortedSet<string> dropped)
    {
        if (blocks.ValueKind != JsonValueKind.Array)
        {
            throw new ChatRequestException("invalid_content", $"'{path}' must be a string or an array of text blocks.", path);
        }

        var text = new StringBuilder();
        var i = 0;
        foreach (var block in blocks.EnumerateArray())
        {
            var blockPath = $"{path}[{i++}]";
            if (BlockType(block, blockPath, dropped) != "text")
            {
                throw Unsupported(block, blockPath, "here only text blocks are");
            }

            AppendText(text, BlockText(block, blockPath));
        }

        return text.ToString();
    }

    /// <summary>A block's type; its <c>cache_control</c> and <c>citations</c> are noted as dropped.</summary>
    private static string BlockType(JsonElement block, string path, SortedSet<string> dropped)
    {
        if (block.ValueKind != JsonValueKind.Object || !block.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
        {
            throw new ChatRequestException("invalid_content", $"{path} must be a content block: an object with a string 'type'.", path);
        }

        if (block.TryGetProperty("cache_control", out var cache) && cache.ValueKind != JsonValueKind.Null)
        {
            dropped.Add("cache_control");
        }

        if (block.TryGetProperty("citations", out var citations) && citations.ValueKind != JsonValueKind.Null)
        {
            dropped.Add("citations");
        }

        return type.GetString()!;
    }

    private static string BlockText(JsonElement block, string path) =>
        block.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
            ? text.GetString()!
            : throw new ChatRequestException("invalid_content", $"{path} is a text block without a string 'text'.", path + ".text");

    private static ChatRequestException Unsupported(JsonElement block, string path, string allowed)
    {
        var type = block.GetProperty("type").GetString();
        return new ChatRequestException(
            "unsupported_content",
            $"{path} is a '{type}' block, which CostConsole's Messages endpoint does not support: {allowed}. Send the content as text.",
            path + ".type");
    }

    private static string RequiredString(JsonElement block, string name, string path) =>
        block.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0
            ? value.GetString()!
            : throw new ChatRequestException("invalid_content", $"{path}.{name} must be a non-empty string.", $"{path}.{name}");

    private static void AppendText(StringBuilder text, string part)
    {
        if (text.Length > 0)
        {
            text.Append('\n');
        }

        text.Append(part);
    }

    /// <summary><c>tools</c> become function tools; <c>tool_choice</c> maps auto/any/tool/none to auto/required/named/none.</summary>
    /// <returns>Whether the chat body has tools.</returns>
    private static bool WriteTools(JsonElement root, Utf8JsonWriter writer, SortedSet<string> dropped)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind != JsonValueKind.Null)
        {
            if (tools.ValueKind != JsonValueKind.Array)
            {
                throw new ChatRequestException("invalid_tools", "'tools' must be an array of {name, description, input_schema} objects.", "tools");
            }

            if (tools.GetArrayLength() > 0)
            {
                writer.WriteStartArray("tools"u8);
                var i = 0;
                foreach (var tool in tools.EnumerateArray())
                {
                    var path = $"tools[{i++}]";
                    if (tool.ValueKind != JsonValueKind.Object)
                    {
                        throw new ChatRequestException("invalid_tools", $"{path} must be an object {{name, description, input_schema}}.", path);
                    }

                    if (tool.TryGetProperty("type", out var type) && type.ValueKind != JsonValueKind.Null && !(type.ValueKind == JsonValueKind.String && type.GetString() == "custom"))
                    {
                        throw new ChatRequestException(
                            "unsupported_tool",
                            $"{path} is a '{type}' tool, which runs at Anthropic: CostConsole's Messages endpoint passes only your own tools ({{name, description, input_schema}}) to the routed models.",
                            path + ".type");
                    }

                    var name = RequiredString(tool, "name", path);
                    if (!tool.TryGetProperty("input_schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                    {
                        throw new ChatRequestException("invalid_tools", $"{path}.input_schema must be a JSON Schema object.", path + ".input_schema");
                    }

                    if (tool.TryGetProperty("cache_control", out var cache) && cache.ValueKind != JsonValueKind.Null)
                    {
                        dropped.Add("cache_control");
                    }

                    names.Add(name);
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "function");
                    writer.WriteStartObject("function"u8);
                    writer.WriteString("name"u8, name);
                    if (tool.TryGetProperty("description", out var description) && description.ValueKind == JsonValueKind.String)
                    {
                        writer.WriteString("description"u8, description.GetString());
                    }

                    writer.WritePropertyName("parameters"u8);
                    schema.WriteTo(writer);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }
        }

        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return names.Count > 0;
        }

        var choiceType = choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
        if (choiceType is not ("auto" or "any" or "tool" or "none"))
        {
            throw new ChatRequestException("invalid_tool_choice", "'tool_choice' must be {\"type\": \"auto\"}, {\"type\": \"any\"}, {\"type\": \"tool\", \"name\": ...} or {\"type\": \"none\"}.", "tool_choice");
        }

        if (names.Count == 0)
        {
            if (choiceType is "auto" or "none")
            {
                return false;
            }

            throw new ChatRequestException("invalid_tool_choice", $"'tool_choice' is \"{choiceType}\" but no 'tools' were given.", "tool_choice");
        }

        switch (choiceType)
        {
            case "tool":
                var name = RequiredString(choice, "name", "tool_choice");
                if (!names.Contains(name))
                {
                    throw new ChatRequestException("invalid_tool_choice", $"'tool_choice' names the tool '{name}', which is not among the 'tools'.", "tool_choice.name");
                }

                writer.WriteStartObject("tool_choice"u8);
                writer.WriteString("type"u8, "function");
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, name);
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            default:
                writer.WriteString("tool_choice"u8, choiceType == "any" ? "required" : choiceType);
                break;
        }

        if (choiceType != "none" && choice.TryGetProperty("disable_parallel_tool_use", out var serial) && serial.ValueKind == JsonValueKind.True)
        {
            writer.WriteBoolean("parallel_tool_calls"u8, false);
        }

        return true;
    }

    /// <returns>The stop sequences sent, or null.</returns>
    private static IReadOnlyList<string>? WriteSampling(JsonElement root, Utf8JsonWriter writer)
    {
        foreach (var name in (ReadOnlySpan<string>)["temperature", "top_p"])
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                if (value.ValueKind != JsonValueKind.Number || value.GetDouble() < 0 || value.GetDouble() > 1)
                {
                    throw new ChatRequestException("invalid_" + name, $"'{name}' must be a number from 0 to 1.", name);
                }

                writer.WritePropertyName(name);
                value.WriteTo(writer);
            }
        }

        if (root.TryGetProperty("stop_sequences", out var stops) && stops.ValueKind != JsonValueKind.Null)
        {
            if (stops.ValueKind != JsonValueKind.Array || stops.EnumerateArray().Any(s => s.ValueKind != JsonValueKind.String || s.GetString()!.Length == 0))
            {
                throw new ChatRequestException("invalid_stop_sequences", "'stop_sequences' must be an array of non-empty strings.", "stop_sequences");
            }

            if (stops.GetArrayLength() > 0)
            {
                writer.WritePropertyName("stop"u8);
                stops.WriteTo(writer);
                var sequences = new string[stops.GetArrayLength()];
                var i = 0;
                foreach (var stop in stops.EnumerateArray())
                {
                    sequences[i++] = stop.GetString()!;
                }

                return sequences;
            }
        }

        return null;
    }

    /// <summary><c>metadata.user_id</c> is the end user: chat completions calls it <c>user</c>, which experiments and the ledger read.</summary>
    /// <returns>The end user (<c>metadata.user_id</c>), or null.</returns>
    private static string? WriteUser(JsonElement root, Utf8JsonWriter writer)
    {
        if (!root.TryGetProperty("metadata", out var metadata) || metadata.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (metadata.ValueKind != JsonValueKind.Object)
        {
            throw new ChatRequestException("invalid_metadata", "'metadata' must be an object such as {\"user_id\": \"...\"}.", "metadata");
        }

        string? user = null;
        foreach (var property in metadata.EnumerateObject())
        {
            if (property.Name != "user_id")
            {
                throw new ChatRequestException("invalid_metadata", $"'metadata.{property.Name}' is not a Messages metadata field; the only one is 'user_id'.", "metadata." + property.Name);
            }

            if (property.Value.ValueKind == JsonValueKind.String)
            {
                user = property.Value.GetString();
                writer.WriteString("user"u8, user);
            }
            else if (property.Value.ValueKind != JsonValueKind.Null)
            {
                throw new ChatRequestException("invalid_metadata", "'metadata.user_id' must be a string.", "metadata.user_id");
            }
        }

        return user;
    }

    /// <summary>A streamed request always asks for usage: the last event reports the answer's output tokens.</summary>
    private static bool WriteStream(JsonElement root, Utf8JsonWriter writer)
    {
        if (!root.TryGetProperty("stream", out var stream) || stream.ValueKind is JsonValueKind.Null or JsonValueKind.False)
        {
            return false;
        }

        if (stream.ValueKind != JsonValueKind.True)
        {
            throw new ChatRequestException("invalid_stream", "'stream' must be true or false.", "stream");
        }

        writer.WriteBoolean("stream"u8, true);
        writer.WriteStartObject("stream_options"u8);
        writer.WriteBoolean("include_usage"u8, true);
        writer.WriteEndObject();
        return true;
    }
}
