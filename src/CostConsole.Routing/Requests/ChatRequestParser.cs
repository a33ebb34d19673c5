using System.Text;
using System.Text.Json;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Requests;

public static class ChatRequestParser
{
    public const string AutoModel = "auto";

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>
    /// Parses an OpenAI chat completions body. <paramref name="tagsHeader"/> is the x-costconsole-tags header:
    /// comma-separated <c>key=value</c> pairs (merged into metadata) and bare tags.
    /// </summary>
    /// <exception cref="ChatRequestException">The body is not JSON, or it has no usable messages.</exception>
    public static ChatRequest Parse(ReadOnlyMemory<byte> body, string? tagsHeader, ITokenCounter tokens) => Parse(body, tagsHeader, tokens, checkText: true);

    private static ChatRequest Parse(ReadOnlyMemory<byte> body, string? tagsHeader, ITokenCounter tokens, bool checkText)
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

        if (checkText && JsonText.FindProblem(body.Span) is { } problem)
        {
            document.Dispose();
            throw new ChatRequestException("invalid_json", problem);
        }

        try
        {
            return Read(document, tagsHeader, tokens);
        }
        catch
        {
            document.Dispose();
            throw;
        }
    }

    private static ChatRequest Read(JsonDocument document, string? tagsHeader, ITokenCounter tokens)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new ChatRequestException("invalid_json", "The request body must be a JSON object.");
        }

        var model = AutoModel;
        if (root.TryGetProperty("model", out var modelElement))
        {
            if (modelElement.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(modelElement.GetString()))
            {
                throw new ChatRequestException("invalid_model", "'model' must be a non-empty string: \"auto\", a tier or a model id.", "model");
            }

            model = modelElement.GetString()!;
        }

        if (!root.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind != JsonValueKind.Array || messagesElement.GetArrayLength() == 0)
        {
            throw new ChatRequestException("missing_messages", "'messages' is required: a non-empty array of {role, content} objects.", "messages");
        }

        var messages = new List<ChatTurn>(messagesElement.GetArrayLength());
        var lastUser = string.Empty;
        var userTurns = 0;
        var index = 0;
        foreach (var message in messagesElement.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var roleElement) || roleElement.ValueKind != JsonValueKind.String)
            {
                throw new ChatRequestException("invalid_message", $"messages[{index}] must be an object with a string 'role'.", $"messages[{index}]");
            }

            var role = roleElement.GetString()!;
            if (!Roles.Contains(role))
            {
                throw new ChatRequestException("invalid_message", $"messages[{index}].role is '{role}'; it must be one of {string.Join(", ", Roles)}.", $"messages[{index}].role");
            }

            var text = ReadContent(message, role, index);
            messages.Add(new ChatTurn(role, text));
            if (role == "user")
            {
                userTurns++;
                lastUser = text;
            }

            index++;
        }

        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (root.TryGetProperty("metadata", out var metadataElement) && metadataElement.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in metadataElement.EnumerateObject())
            {
                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }

        string? user = null;
        if (root.TryGetProperty("user", out var userElement) && userElement.ValueKind == JsonValueKind.String)
        {
            user = userElement.GetString();
            metadata["user"] = user!;
        }

        var tags = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        ReadTags(tagsHeader, metadata, tags);

        var stream = Flag(root, "stream", "invalid_stream");
        var includeUsage = root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
        if (root.TryGetProperty("tools", out var tools) && tools.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
        {
            throw new ChatRequestException("invalid_tools", "'tools' must be an array of {type: \"function\", function: {name, parameters}} objects.", "tools");
        }

        var hasTools = (tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
            || (root.TryGetProperty("functions", out var functions) && functions.ValueKind == JsonValueKind.Array && functions.GetArrayLength() > 0);
        var logprobs = root.TryGetProperty("logprobs", out var logprobsElement) && logprobsElement.ValueKind == JsonValueKind.True;
        var wantsJson = ResponseFormat(root) is "json_object" or "json_schema";

        int? maxTokens = null;
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(name, out var maxElement) && maxElement.ValueKind != JsonValueKind.Null)
            {
                if (maxElement.ValueKind != JsonValueKind.Number || !maxElement.TryGetInt32(out var max) || max <= 0)
                {
                    throw new ChatRequestException("invalid_max_tokens", $"'{name}' must be a positive whole number.", name);
                }

                maxTokens ??= max;
            }
        }

        // One answer per request: escalation judges and the ledger prices one choice, so n > 1 would be answered as n = 1.
        if (root.TryGetProperty("n", out var n) && n.ValueKind != JsonValueKind.Null && !(n.ValueKind == JsonValueKind.Number && n.TryGetInt32(out var choices) && choices == 1))
        {
            throw new ChatRequestException("unsupported_n", "'n' must be 1: CostConsole routes, judges and prices one answer per request. Send separate requests for more choices.", "n");
        }

        return new ChatRequest(document, tokens)
        {
            Model = model,
            Messages = messages,
            LastUserText = lastUser,
            UserTurns = userTurns,
            HasTools = hasTools,
            Stream = stream,
            IncludeUsage = includeUsage,
            WantsLogprobs = logprobs,
            WantsJson = wantsJson,
            MaxTokens = maxTokens,
            User = user,
            Metadata = metadata,
            Tags = tags,
        };
    }

    /// <summary>
    /// The router's request for a chat body a protocol's translator wrote, from what the translator read while writing it:
    /// the same fields <see cref="Parse(ReadOnlyMemory{byte}, string?, ITokenCounter)"/> would read from that body, without
    /// parsing it again. <paramref name="metadata"/> is the chat body's <c>metadata</c> object, or default when it has none.
    /// </summary>
    internal static ChatRequest Translated(
        TranslatedChatBody body,
        string? model,
        List<ChatTurn> messages,
        bool hasTools,
        bool stream,
        bool wantsJson,
        int? maxTokens,
        string? user,
        JsonElement metadata,
        string? tagsHeader,
        ITokenCounter tokens,
        IReadOnlyList<string>? stop = null)
    {
        var lastUser = string.Empty;
        var userTurns = 0;
        foreach (var message in messages)
        {
            if (message.Role == "user")
            {
                userTurns++;
                lastUser = message.Text;
            }
        }

        var metadataByKey = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (metadata.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in metadata.EnumerateObject())
            {
                metadataByKey[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }

        if (user is not null)
        {
            metadataByKey["user"] = user;
        }

        var tags = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        ReadTags(tagsHeader, metadataByKey, tags);
        return new ChatRequest(body, tokens)
        {
            Model = model ?? AutoModel,
            Messages = messages,
            LastUserText = lastUser,
            UserTurns = userTurns,
            HasTools = hasTools,
            Stream = stream,
            IncludeUsage = stream,
            WantsLogprobs = false,
            WantsJson = wantsJson,
            MaxTokens = maxTokens,
            User = user,
            Metadata = metadataByKey,
            Tags = tags,
            TranslatedStop = stop,
        };
    }

    /// <summary>
    /// A message's text as chat completions reads content parts: the parts' texts, a line break between two when the
    /// text so far is not empty.
    /// </summary>
    internal static string PartsText(List<string> parts)
    {
        if (parts.Count == 1)
        {
            return parts[0];
        }

        var text = new StringBuilder();
        foreach (var part in parts)
        {
            if (text.Length > 0)
            {
                text.Append('\n');
            }

            text.Append(part);
        }

        return text.ToString();
    }

    /// <summary>The roles OpenAI accepts in chat messages.</summary>
    private static readonly string[] Roles = ["system", "developer", "user", "assistant", "tool", "function"];

    /// <summary>
    /// A message's text. Content is a string or an array of parts; only an assistant message that calls tools (or a
    /// function) may leave it out or send null.
    /// </summary>
    private static string ReadContent(JsonElement message, string role, int index)
    {
        var hasContent = message.TryGetProperty("content", out var content) && content.ValueKind != JsonValueKind.Null;
        if (!hasContent)
        {
            if (role == "assistant")
            {
                // OpenAI allows an assistant turn without content only when it carries a tool or function call.
                if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array
                    || message.TryGetProperty("function_call", out var call) && call.ValueKind == JsonValueKind.Object
                    || message.TryGetProperty("refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String)
                {
                    return string.Empty;
                }
            }

            throw new ChatRequestException("invalid_message", $"messages[{index}] ({role}) has no 'content'; it must be a string or an array of content parts.", $"messages[{index}].content");
        }

        if (content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            throw new ChatRequestException("invalid_message", $"messages[{index}].content must be a string or an array of content parts.", $"messages[{index}].content");
        }

        return ContentText(content);
    }

    /// <summary>A boolean field: absent or null is false; anything but true or false is refused.</summary>
    private static bool Flag(JsonElement root, string name, string code) =>
        !root.TryGetProperty(name, out var value) ? false : value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False or JsonValueKind.Null => false,
            _ => throw new ChatRequestException(code, $"'{name}' must be true or false.", name),
        };

    /// <summary>The <c>response_format.type</c> asked for, or null; an unknown type is refused as OpenAI does.</summary>
    private static string? ResponseFormat(JsonElement root)
    {
        if (!root.TryGetProperty("response_format", out var format) || format.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (format.ValueKind != JsonValueKind.Object)
        {
            throw new ChatRequestException("invalid_response_format", "'response_format' must be an object such as {\"type\": \"json_object\"}.", "response_format");
        }

        var type = format.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : null;
        return type is "text" or "json_object" or "json_schema"
            ? type
            : throw new ChatRequestException("invalid_response_format", "'response_format.type' must be \"text\", \"json_object\" or \"json_schema\".", "response_format.type");
    }

    private static string ContentText(JsonElement content)
    {
        switch (content.ValueKind)
        {
            case JsonValueKind.String:
                return content.GetString()!;
            case JsonValueKind.Array:
                var text = new StringBuilder();
                foreach (var part in content.EnumerateArray())
                {
                    if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String)
                    {
                        if (text.Length > 0)
                        {
                            text.Append('\n');
                        }

                        text.Append(partText.GetString());
                    }
                }

                return text.ToString();
            default:
                return string.Empty;
        }
    }

    private static void ReadTags(string? header, Dictionary<string, string> metadata, HashSet<string> tags)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return;
        }

        foreach (var item in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = item.IndexOf('=');
            if (equals > 0)
            {
                metadata[item[..equals].Trim()] = item[(equals + 1)..].Trim();
            }
            else
            {
                tags.Add(item);
            }
        }
    }
}
