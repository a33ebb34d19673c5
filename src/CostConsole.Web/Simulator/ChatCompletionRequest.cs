using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace CostConsole.Web.Simulator;

internal sealed record RequestMessage(string Role, string Text);

/// <summary>The parts of an OpenAI chat completions request the simulator acts on; every other field is accepted and ignored.</summary>
internal sealed record ChatCompletionRequest
{
    public required string Model { get; init; }

    public required IReadOnlyList<RequestMessage> Messages { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public int? MaxTokens { get; init; }

    public bool Logprobs { get; init; }

    public int TopLogprobs { get; init; }

    public bool JsonResponse { get; init; }

    /// <summary>The text of the last user message: what the model is being asked.</summary>
    public string Prompt => Messages.LastOrDefault(message => message.Role == "user")?.Text ?? Messages[^1].Text;

    /// <summary>Reads a request body, or explains in OpenAI's words what is wrong with it.</summary>
    public static bool TryParse(
        JsonElement root,
        [NotNullWhen(true)] out ChatCompletionRequest? request,
        [NotNullWhen(false)] out SimulatorError? error)
    {
        request = null;
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = SimulatorError.InvalidRequest("The request body must be a JSON object.", null);
            return false;
        }

        if (!root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
        {
            error = SimulatorError.InvalidRequest("You must provide a model parameter.", "model");
            return false;
        }

        if (!root.TryGetProperty("messages", out var messagesElement) || messagesElement.ValueKind != JsonValueKind.Array || messagesElement.GetArrayLength() == 0)
        {
            error = SimulatorError.InvalidRequest("'messages' must be a non-empty array of chat messages.", "messages");
            return false;
        }

        var messages = new List<RequestMessage>(messagesElement.GetArrayLength());
        var index = 0;
        foreach (var message in messagesElement.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("role", out var role)
                || role.ValueKind != JsonValueKind.String)
            {
                error = SimulatorError.InvalidRequest($"messages[{index}] must be an object with a string 'role'.", $"messages[{index}]");
                return false;
            }

            if (!TryReadContent(message, out var text))
            {
                error = SimulatorError.InvalidRequest(
                    $"messages[{index}].content must be a string, null, or an array of content parts.", $"messages[{index}].content");
                return false;
            }

            messages.Add(new RequestMessage(role.GetString()!, text));
            index++;
        }

        int? maxTokens = null;
        foreach (var name in (ReadOnlySpan<string>)["max_completion_tokens", "max_tokens"])
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
            {
                if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var parsed) || parsed < 1)
                {
                    error = SimulatorError.InvalidRequest($"'{name}' must be a positive integer.", name);
                    return false;
                }

                maxTokens = parsed;
                break;
            }
        }

        var topLogprobs = 0;
        if (root.TryGetProperty("top_logprobs", out var top) && top.ValueKind != JsonValueKind.Null)
        {
            if (top.ValueKind != JsonValueKind.Number || !top.TryGetInt32(out topLogprobs) || topLogprobs is < 0 or > 20)
            {
                error = SimulatorError.InvalidRequest("'top_logprobs' must be an integer between 0 and 20.", "top_logprobs");
                return false;
            }
        }

        var responseType = root.TryGetProperty("response_format", out var format)
                           && format.ValueKind == JsonValueKind.Object
                           && format.TryGetProperty("type", out var type)
                           && type.ValueKind == JsonValueKind.String
            ? type.GetString()
            : null;

        request = new ChatCompletionRequest
        {
            Model = model.GetString()!,
            Messages = messages,
            Stream = IsTrue(root, "stream"),
            IncludeUsage = root.TryGetProperty("stream_options", out var streamOptions)
                           && streamOptions.ValueKind == JsonValueKind.Object
                           && IsTrue(streamOptions, "include_usage"),
            MaxTokens = maxTokens,
            Logprobs = IsTrue(root, "logprobs"),
            TopLogprobs = topLogprobs,
            JsonResponse = responseType is "json_object" or "json_schema",
        };
        return true;
    }

    private static bool IsTrue(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>Content is a string, null (assistant tool calls), or an array of parts of which only text counts.</summary>
    private static bool TryReadContent(JsonElement message, out string text)
    {
        text = "";
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            text = content.GetString()!;
            return true;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return false;
        }

        var builder = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            if (part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String)
            {
                builder.Append(partText.GetString());
            }
        }

        text = builder.ToString();
        return true;
    }
}
