using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace CostConsole.Simulator;

internal sealed record RequestMessage(string Role, string Text);

/// <summary>A function the client offers the model: its name, what it is for, and the JSON Schema of its arguments.</summary>
internal sealed record SimulatedTool(string Name, string Description, JsonElement? Parameters);

internal enum ToolChoiceMode
{
    /// <summary>The model decides: it calls a tool when the prompt asks for what one does.</summary>
    Auto,

    /// <summary>The model answers in text.</summary>
    None,

    /// <summary>The model must call one of the tools.</summary>
    Required,

    /// <summary>The model must call the tool the client named.</summary>
    Named,
}

/// <summary>The parts of an OpenAI chat completions request the simulator acts on; every other field is accepted and ignored.</summary>
internal sealed record ChatCompletionRequest
{
    public required string Model { get; init; }

    public required IReadOnlyList<RequestMessage> Messages { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsage { get; init; }

    public int? MaxTokens { get; init; }

    /// <summary>The request's <c>stop</c>: the answer ends just before the first of them it would write.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    public bool Logprobs { get; init; }

    public int TopLogprobs { get; init; }

    public bool JsonResponse { get; init; }

    /// <summary>The schema of <c>response_format: {type: "json_schema"}</c>: the answer must be an instance of it.</summary>
    public JsonElement? ResponseSchema { get; init; }

    public IReadOnlyList<SimulatedTool> Tools { get; init; } = [];

    public ToolChoiceMode ToolChoice { get; init; }

    /// <summary>The function <see cref="ToolChoiceMode.Named"/> asks for.</summary>
    public string? ToolChoiceName { get; init; }

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

        var stop = new List<string>();
        if (root.TryGetProperty("stop", out var stopElement) && stopElement.ValueKind != JsonValueKind.Null)
        {
            if (stopElement.ValueKind == JsonValueKind.String && stopElement.GetString() is { Length: > 0 } single)
            {
                stop.Add(single);
            }
            else if (stopElement.ValueKind == JsonValueKind.Array && stopElement.GetArrayLength() <= 4
                     && stopElement.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String && s.GetString()!.Length > 0))
            {
                stop.AddRange(stopElement.EnumerateArray().Select(s => s.GetString()!));
            }
            else
            {
                error = SimulatorError.InvalidRequest("'stop' must be a non-empty string or an array of up to 4 non-empty strings.", "stop");
                return false;
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

        if (!TryReadTools(root, out var tools, out var toolsError) || !TryReadToolChoice(root, tools, out var toolChoice, out var toolChoiceName, out toolsError))
        {
            error = toolsError!;
            return false;
        }

        JsonElement? responseSchema = null;
        if (responseType == "json_schema")
        {
            if (!format.TryGetProperty("json_schema", out var jsonSchema) || jsonSchema.ValueKind != JsonValueKind.Object
                || !jsonSchema.TryGetProperty("name", out var schemaName) || schemaName.ValueKind != JsonValueKind.String)
            {
                error = SimulatorError.InvalidRequest(
                    "'response_format.json_schema' must be an object with a 'name' and a 'schema'.", "response_format.json_schema");
                return false;
            }

            if (jsonSchema.TryGetProperty("schema", out var schema) && schema.ValueKind == JsonValueKind.Object)
            {
                responseSchema = schema.Clone();
            }
        }

        request = new ChatCompletionRequest
        {
            Model = model.GetString()!,
            Messages = messages,
            Stream = IsTrue(root, "stream"),
            IncludeUsage = root.TryGetProperty("stream_options", out var streamOptions)
                           && streamOptions.ValueKind == JsonValueKind.Object
                           && IsTrue(streamOptions, "include_usage"),
            MaxTokens = maxTokens,
            Stop = stop,
            Logprobs = IsTrue(root, "logprobs"),
            TopLogprobs = topLogprobs,
            JsonResponse = responseType is "json_object" or "json_schema",
            ResponseSchema = responseSchema,
            Tools = tools,
            ToolChoice = toolChoice,
            ToolChoiceName = toolChoiceName,
        };
        return true;
    }

    /// <summary>Reads <c>tools: [{type: "function", function: {name, description, parameters}}]</c>.</summary>
    private static bool TryReadTools(JsonElement root, out IReadOnlyList<SimulatedTool> tools, out SimulatorError? error)
    {
        tools = [];
        error = null;
        if (!root.TryGetProperty("tools", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.Array)
        {
            error = SimulatorError.InvalidRequest("'tools' must be an array of function tools.", "tools");
            return false;
        }

        var list = new List<SimulatedTool>();
        var index = 0;
        foreach (var tool in element.EnumerateArray())
        {
            if (tool.ValueKind != JsonValueKind.Object
                || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(name.GetString()))
            {
                error = SimulatorError.InvalidRequest(
                    $"tools[{index}] must be {{\"type\": \"function\", \"function\": {{\"name\": ..., \"parameters\": ...}}}}.", $"tools[{index}].function");
                return false;
            }

            var description = function.TryGetProperty("description", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()! : "";
            JsonElement? parameters = function.TryGetProperty("parameters", out var p) && p.ValueKind == JsonValueKind.Object ? p.Clone() : null;
            list.Add(new SimulatedTool(name.GetString()!, description, parameters));
            index++;
        }

        tools = list;
        return true;
    }

    /// <summary>Reads <c>tool_choice</c>: "auto", "none", "required", or <c>{type: "function", function: {name}}</c>.</summary>
    private static bool TryReadToolChoice(
        JsonElement root, IReadOnlyList<SimulatedTool> tools, out ToolChoiceMode mode, out string? name, out SimulatorError? error)
    {
        mode = ToolChoiceMode.Auto;
        name = null;
        error = null;
        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return true;
        }

        if (choice.ValueKind == JsonValueKind.String)
        {
            switch (choice.GetString())
            {
                case "auto":
                    return true;
                case "none":
                    mode = ToolChoiceMode.None;
                    return true;
                case "required" when tools.Count > 0:
                    mode = ToolChoiceMode.Required;
                    return true;
                case "required":
                    error = SimulatorError.InvalidRequest("'tool_choice' is \"required\" but no 'tools' were given.", "tool_choice");
                    return false;
            }
        }
        else if (choice.ValueKind == JsonValueKind.Object
                 && choice.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object
                 && function.TryGetProperty("name", out var named) && named.ValueKind == JsonValueKind.String)
        {
            var wanted = named.GetString();
            name = wanted;
            if (tools.Any(tool => tool.Name == wanted))
            {
                mode = ToolChoiceMode.Named;
                return true;
            }

            error = SimulatorError.InvalidRequest($"'tool_choice' names the function '{wanted}', which is not among the 'tools'.", "tool_choice");
            return false;
        }

        error = SimulatorError.InvalidRequest(
            "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"function\": {\"name\": ...}}.", "tool_choice");
        return false;
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
