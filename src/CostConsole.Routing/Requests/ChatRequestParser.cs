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
    public static ChatRequest Parse(ReadOnlyMemory<byte> body, string? tagsHeader, ITokenCounter tokens)
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
            var text = message.TryGetProperty("content", out var content) ? ContentText(content) : string.Empty;
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

        var stream = root.TryGetProperty("stream", out var streamElement) && streamElement.ValueKind == JsonValueKind.True;
        var includeUsage = root.TryGetProperty("stream_options", out var options) && options.ValueKind == JsonValueKind.Object
            && options.TryGetProperty("include_usage", out var include) && include.ValueKind == JsonValueKind.True;
        var hasTools = (root.TryGetProperty("tools", out var tools) && tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() > 0)
            || (root.TryGetProperty("functions", out var functions) && functions.ValueKind == JsonValueKind.Array && functions.GetArrayLength() > 0);
        var logprobs = root.TryGetProperty("logprobs", out var logprobsElement) && logprobsElement.ValueKind == JsonValueKind.True;
        var wantsJson = root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("type", out var formatType) && formatType.ValueKind == JsonValueKind.String
            && formatType.GetString() is "json_object" or "json_schema";

        int? maxTokens = null;
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(name, out var maxElement) && maxElement.ValueKind == JsonValueKind.Number)
            {
                if (!maxElement.TryGetInt32(out var max) || max <= 0)
                {
                    throw new ChatRequestException("invalid_max_tokens", $"'{name}' must be a positive whole number.", name);
                }

                maxTokens = max;
                break;
            }
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
