using System.Buffers;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Protocols.Responses;

/// <summary>
/// Reads an OpenAI Responses body (<c>POST /v1/responses</c>) and writes the same request as a chat completions body,
/// so the router decides, calls and records it exactly as it does chat completions. A request that continues a stored
/// response (<c>previous_response_id</c>) gets that response's conversation before its own input; storing, and so
/// continuing, is refused when the caller's storage policy forbids it (<see cref="ResponsesStorage"/>). What cannot be
/// served without hosted state (conversations) or hosted tools is refused with a message that says what
/// to send instead; fields that change nothing a chat model can do are accepted and named in <see cref="ResponsesRequest.Ignored"/>.
/// </summary>
public static class ResponsesRequestParser
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>The chat body is read back by the router and sent upstream, never put in a web page: text is written as it is, not escaped for HTML.</summary>
    private static readonly JsonWriterOptions ChatBodyWriter = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Fields accepted and not acted on. A chat model has no equivalent, or CostConsole keeps no state for them.</summary>
    private static readonly HashSet<string> IgnoredFields =
    [
        "include", "reasoning", "truncation", "service_tier", "prompt_cache_key", "prompt_cache_retention", "prompt_cache_options",
        "safety_identifier", "top_logprobs", "max_tool_calls", "stream_options", "context_management",
    ];

    private static readonly HashSet<string> MappedFields =
    [
        "model", "input", "instructions", "tools", "tool_choice", "parallel_tool_calls", "text", "max_output_tokens",
        "temperature", "top_p", "metadata", "user", "stream", "store", "previous_response_id", "conversation", "background", "prompt",
    ];

    /// <exception cref="ChatRequestException">The body is not a Responses request CostConsole can serve; the message says why.</exception>
    public static ResponsesRequest Parse(ReadOnlyMemory<byte> body, string? tagsHeader, ITokenCounter tokens) =>
        Parse(body, tagsHeader, tokens, ResponsesStorage.Unavailable);

    /// <summary>Parses a request whose caller may or may not store responses, continuing <see cref="ResponsesStorage.Previous"/> when it names one.</summary>
    /// <exception cref="ChatRequestException">The body is not a Responses request CostConsole can serve; the message says why.</exception>
    public static ResponsesRequest Parse(ReadOnlyMemory<byte> body, string? tagsHeader, ITokenCounter tokens, ResponsesStorage storage)
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

            return Translate(root, body.Length, tagsHeader, tokens, storage);
        }
    }

    /// <summary>
    /// The request's <c>previous_response_id</c>, read without parsing the rest, so the host can fetch the stored response
    /// before the request is translated; null when there is none or the body is not JSON (<see cref="Parse(ReadOnlyMemory{byte}, string?, ITokenCounter, ResponsesStorage)"/> says why).
    /// </summary>
    public static string? PreviousResponseId(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = DocumentOptions.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var found = reader.ValueTextEquals("previous_response_id"u8);
                reader.Read();
                if (found)
                {
                    return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private static ResponsesRequest Translate(JsonElement root, int size, string? tagsHeader, ITokenCounter tokens, ResponsesStorage storage)
    {
        var ignored = new List<string>();
        foreach (var property in root.EnumerateObject())
        {
            if (IgnoredFields.Contains(property.Name))
            {
                if (IsSet(property.Value) && !(property.NameEquals("truncation"u8) && property.Value.ValueEquals("disabled"u8)))
                {
                    ignored.Add(property.Name);
                }
            }
            else if (!MappedFields.Contains(property.Name))
            {
                throw new ChatRequestException("unknown_parameter", $"Unknown parameter: '{property.Name}'. See the Responses API reference for the fields a request may carry.", property.Name);
            }
        }

        RefuseState(root);
        var storeAsked = true;
        if (root.TryGetProperty("store", out var store))
        {
            if (store.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            {
                throw new ChatRequestException("invalid_type", "'store' must be true or false.", "store");
            }

            if (store.ValueKind == JsonValueKind.True && storage.Forbidden is { } why)
            {
                throw new ChatRequestException("store_not_allowed",
                    $"{why} so this response cannot be stored: send 'store': false, and the whole conversation in 'input' on each turn.", "store");
            }

            storeAsked = store.ValueKind != JsonValueKind.False;
        }

        var history = History(root, storage);

        // Stored as the Responses API does by default, unless the client says otherwise or the policy forbids it.
        var stored = storeAsked && storage.Forbidden is null;

        using var buffer = new PooledBuffer(size + 512);
        string? instructions = null;
        int? maxOutputTokens = null;
        double? temperature = null, topP = null;
        var parallel = true;
        var hasTools = false;
        var wantsJson = false;
        var streamed = false;
        string? modelName = null, userName = null;
        JsonElement metadataObject = default;

        // Past the '{' when the client names no model; past the model's value when it does.
        var afterModel = 1;
        List<ChatMessage> turn;
        using (var writer = new Utf8JsonWriter(buffer, ChatBodyWriter))
        {
            writer.WriteStartObject();
            if (root.TryGetProperty("model", out var model) && model.ValueKind != JsonValueKind.Null)
            {
                if (model.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(model.GetString()))
                {
                    throw new ChatRequestException("invalid_model", "'model' must be a non-empty string: \"auto\", a tier or a model id.", "model");
                }

                modelName = model.GetString();
                writer.WriteString("model"u8, modelName);
                afterModel = (int)(writer.BytesCommitted + writer.BytesPending);
            }

            if (root.TryGetProperty("instructions", out var instructionsElement) && instructionsElement.ValueKind != JsonValueKind.Null)
            {
                instructions = instructionsElement.ValueKind == JsonValueKind.String
                    ? instructionsElement.GetString()
                    : throw new ChatRequestException("invalid_type", "'instructions' must be a string: it is sent to the model as the system message.", "instructions");
            }

            turn = WriteMessages(writer, root, instructions, history, storage);
            hasTools = WriteTools(writer, root);
            WriteToolChoice(writer, root, hasTools);
            if (root.TryGetProperty("parallel_tool_calls", out var parallelElement) && parallelElement.ValueKind != JsonValueKind.Null)
            {
                parallel = parallelElement.ValueKind switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw new ChatRequestException("invalid_type", "'parallel_tool_calls' must be true or false.", "parallel_tool_calls"),
                };

                // Chat completions refuses the field without tools.
                if (hasTools)
                {
                    writer.WriteBoolean("parallel_tool_calls"u8, parallel);
                }
            }

            wantsJson = WriteText(writer, root, ignored);
            if (root.TryGetProperty("max_output_tokens", out var max) && max.ValueKind != JsonValueKind.Null)
            {
                if (max.ValueKind != JsonValueKind.Number || !max.TryGetInt32(out var value) || value <= 0)
                {
                    throw new ChatRequestException("invalid_max_output_tokens", "'max_output_tokens' must be a positive whole number.", "max_output_tokens");
                }

                maxOutputTokens = value;
                writer.WriteNumber("max_completion_tokens"u8, value);
            }

            temperature = Number(writer, root, "temperature");
            topP = Number(writer, root, "top_p");
            if (root.TryGetProperty("metadata", out var metadata) && metadata.ValueKind != JsonValueKind.Null)
            {
                if (metadata.ValueKind != JsonValueKind.Object)
                {
                    throw new ChatRequestException("invalid_type", "'metadata' must be an object of string keys and string values.", "metadata");
                }

                writer.WritePropertyName("metadata"u8);
                metadata.WriteTo(writer);
                metadataObject = metadata;
            }

            if (root.TryGetProperty("user", out var user) && user.ValueKind != JsonValueKind.Null)
            {
                userName = user.ValueKind == JsonValueKind.String
                    ? user.GetString()
                    : throw new ChatRequestException("invalid_type", "'user' must be a string.", "user");
                writer.WriteString("user"u8, userName);
            }

            if (root.TryGetProperty("stream", out var stream) && stream.ValueKind != JsonValueKind.Null)
            {
                if (stream.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    throw new ChatRequestException("invalid_stream", "'stream' must be true or false.", "stream");
                }

                streamed = stream.ValueKind == JsonValueKind.True;
                writer.WriteBoolean("stream"u8, streamed);
                if (streamed)
                {
                    // The completed event carries usage, so the stream must end with it.
                    writer.WriteStartObject("stream_options"u8);
                    writer.WriteBoolean("include_usage"u8, true);
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndObject();
        }

        var turns = new List<ChatTurn>((instructions is null ? 0 : 1) + history.Count + turn.Count);
        if (instructions is not null)
        {
            turns.Add(new ChatTurn("system", instructions));
        }

        foreach (var message in history)
        {
            turns.Add(message.Turn());
        }

        foreach (var message in turn)
        {
            turns.Add(message.Turn());
        }

        var chat = ChatRequestParser.Translated(
            new TranslatedChatBody(buffer.ToArray(), afterModel), modelName, turns, hasTools, streamed, wantsJson, maxOutputTokens, userName, metadataObject, tagsHeader, tokens);
        return new ResponsesRequest
        {
            Chat = chat,
            Instructions = instructions,
            ToolsJson = hasTools ? root.GetProperty("tools").GetRawText() : null,
            ToolChoiceJson = Raw(root, "tool_choice"),
            TextJson = Raw(root, "text"),
            MetadataJson = Raw(root, "metadata"),
            Temperature = temperature,
            TopP = topP,
            MaxOutputTokens = maxOutputTokens,
            ParallelToolCalls = parallel,
            Ignored = ignored,
            Store = stored,
            PreviousResponseId = storage.Previous?.Id,
            Conversation = stored ? Conversation(history, turn) : null,
        };
    }

    /// <summary>
    /// The conversation a request continues: the stored response's own conversation, then its answer as the assistant's
    /// turn. Empty without <c>previous_response_id</c>; refused when the caller may not store (nothing of theirs can be stored).
    /// </summary>
    private static List<ChatMessage> History(JsonElement root, ResponsesStorage storage)
    {
        if (!root.TryGetProperty("previous_response_id", out var previous) || previous.ValueKind == JsonValueKind.Null)
        {
            return [];
        }

        if (previous.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(previous.GetString()))
        {
            throw new ChatRequestException("invalid_type", "'previous_response_id' must be the id of an earlier response (resp_…).", "previous_response_id");
        }

        if (storage.Forbidden is { } why)
        {
            throw new ChatRequestException("previous_response_not_supported",
                $"{why} so there is no stored response to continue and 'previous_response_id' cannot be used: send the whole conversation in 'input' "
                + "(earlier messages, function_call and function_call_output items) instead.", "previous_response_id");
        }

        if (storage.Previous is not { } stored || !previous.ValueEquals(stored.Id))
        {
            throw new ChatRequestException("previous_response_not_found", $"Previous response with id '{previous.GetString()}' not found.", "previous_response_id");
        }

        var history = new List<ChatMessage>();
        using (var conversation = JsonDocument.Parse(stored.Conversation))
        {
            foreach (var message in conversation.RootElement.EnumerateArray())
            {
                history.Add(ChatMessage.Read(message));
            }
        }

        using (var response = JsonDocument.Parse(stored.Response))
        {
            history.Add(ChatMessage.Answer(response.RootElement));
        }

        return history;
    }

    /// <summary>What a stored response keeps of its input: the conversation so far and this turn, without the instructions (a later turn sends its own).</summary>
    private static string Conversation(List<ChatMessage> history, List<ChatMessage> turn)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var message in history)
            {
                message.WriteTo(writer);
            }

            foreach (var message in turn)
            {
                message.WriteTo(writer);
            }

            writer.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>CostConsole keeps no conversations or background responses: a request that points at such state cannot be answered.</summary>
    private static void RefuseState(JsonElement root)
    {
        if (root.TryGetProperty("conversation", out var conversation) && conversation.ValueKind != JsonValueKind.Null)
        {
            throw new ChatRequestException("conversation_not_supported",
                "CostConsole does not store conversations, so 'conversation' cannot be used: send the whole conversation in 'input' instead.", "conversation");
        }

        if (root.TryGetProperty("background", out var background) && background.ValueKind == JsonValueKind.True)
        {
            throw new ChatRequestException("background_not_supported",
                "CostConsole does not store responses, so a background response could never be retrieved: send the request without 'background' (or stream it).", "background");
        }

        if (root.TryGetProperty("prompt", out var prompt) && prompt.ValueKind != JsonValueKind.Null)
        {
            throw new ChatRequestException("prompt_not_supported",
                "Stored prompt templates ('prompt') live in OpenAI's dashboard, which CostConsole cannot read: send the prompt's text in 'instructions' and 'input' instead.", "prompt");
        }
    }

    /// <summary>
    /// Writes <c>messages</c>: the instructions as the system message, the conversation continued, then <c>input</c> item
    /// by item. Returns this turn's messages (the input's).
    /// </summary>
    private static List<ChatMessage> WriteMessages(Utf8JsonWriter writer, JsonElement root, string? instructions, List<ChatMessage> history, ResponsesStorage storage)
    {
        var messages = new List<ChatMessage>();

        if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
        {
            throw new ChatRequestException("missing_input", "'input' is required: a string, or an array of message, function_call and function_call_output items.", "input");
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            messages.Add(new ChatMessage("user") { Texts = { input.GetString()! } });
        }
        else if (input.ValueKind == JsonValueKind.Array)
        {
            ReadItems(input, messages, history, storage);
        }
        else
        {
            throw new ChatRequestException("invalid_input", "'input' must be a string or an array of input items.", "input");
        }

        if (messages.Count == 0)
        {
            throw new ChatRequestException("missing_input", "'input' has no items: send at least one message.", "input");
        }

        writer.WriteStartArray("messages"u8);
        if (instructions is not null)
        {
            new ChatMessage("system") { Texts = { instructions } }.WriteTo(writer);
        }

        foreach (var message in history)
        {
            message.WriteTo(writer);
        }

        foreach (var message in messages)
        {
            message.WriteTo(writer);
        }

        writer.WriteEndArray();
        return messages;
    }

    private static void ReadItems(JsonElement input, List<ChatMessage> messages, List<ChatMessage> history, ResponsesStorage storage)
    {
        // A function_call_output may answer a call of the response it continues.
        var calls = new HashSet<string>(StringComparer.Ordinal);
        foreach (var message in history)
        {
            foreach (var call in message.Calls)
            {
                calls.Add(call.Id);
            }
        }

        var index = 0;
        foreach (var item in input.EnumerateArray())
        {
            ReadItem(item, $"input[{index}]", messages, calls, storage);
            index++;
        }
    }

    private static void ReadItem(JsonElement item, string at, List<ChatMessage> messages, HashSet<string> calls, ResponsesStorage storage)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            throw new ChatRequestException("invalid_input_item", $"{at} must be an object: a message, function_call, function_call_output or item_reference item.", at);
        }

        var type = item.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String ? typeElement.GetString() : null;
        if (type is null && item.TryGetProperty("role", out _))
        {
            type = "message";
        }

        switch (type)
        {
            case "message":
                messages.Add(ReadMessage(item, at));
                break;
            case "function_call":
                var callId = RequiredString(item, "call_id", at);
                var call = new ToolCall(callId, RequiredString(item, "name", at), Arguments(item, at));
                calls.Add(callId);

                // Consecutive calls (parallel calls, or text followed by calls) are one assistant turn in chat completions.
                if (messages.Count > 0 && messages[^1] is { Role: "assistant" } last)
                {
                    last.Calls.Add(call);
                }
                else
                {
                    messages.Add(new ChatMessage("assistant") { Calls = { call } });
                }

                break;
            case "function_call_output":
                var outputId = RequiredString(item, "call_id", at);
                if (!calls.Contains(outputId))
                {
                    throw new ChatRequestException("function_call_output_without_call",
                        $"{at} is the output of call '{outputId}', but no function_call item with that call_id comes before it in 'input' "
                        + "(nor in the response named by 'previous_response_id'): send the function_call item before its output.", $"{at}.call_id");
                }

                messages.Add(new ChatMessage("tool") { ToolCallId = outputId, Texts = { OutputText(item, at) } });
                break;
            case "item_reference":
                ReadReference(item, at, messages, calls, storage);
                break;
            case null:
                throw new ChatRequestException("invalid_input_item", $"{at} has no 'type': send a message (with 'role' and 'content'), function_call or function_call_output item.", $"{at}.type");
            default:
                throw new ChatRequestException("unsupported_input_item",
                    $"{at} is a '{type}' item, which CostConsole cannot send to a chat model. Supported input items: message, function_call, function_call_output, item_reference.", $"{at}.type");
        }
    }

    /// <summary>An <c>item_reference</c> stands for an item of a stored response of the caller's, read as if it had been sent in its place.</summary>
    private static void ReadReference(JsonElement item, string at, List<ChatMessage> messages, HashSet<string> calls, ResponsesStorage storage)
    {
        var id = RequiredString(item, "id", at);
        if (storage.Forbidden is { } why)
        {
            throw new ChatRequestException("item_reference_not_supported",
                $"{why} so there are no stored items, and {at} cannot refer to '{id}': send the item itself. "
                + "(The AI SDK sends references unless providerOptions.openai.store is false.)", at);
        }

        if (!storage.Items.TryGetValue(id, out var json))
        {
            throw new ChatRequestException("item_not_found",
                $"{at} refers to item '{id}', which no stored response of this API key holds (it was never stored, was deleted, or is past the retention period): send the item itself.", $"{at}.id");
        }

        using var referenced = JsonDocument.Parse(json);
        if (referenced.RootElement.TryGetProperty("type", out var type) && type.ValueEquals("item_reference"u8))
        {
            throw new ChatRequestException("invalid_input_item", $"{at} refers to another reference.", $"{at}.id");
        }

        ReadItem(referenced.RootElement, $"{at} (item '{id}')", messages, calls, storage);
    }

    private static readonly string[] Roles = ["user", "system", "developer", "assistant"];

    private static ChatMessage ReadMessage(JsonElement item, string at)
    {
        var role = item.TryGetProperty("role", out var roleElement) && roleElement.ValueKind == JsonValueKind.String ? roleElement.GetString()! : null;
        if (role is null || !Roles.Contains(role))
        {
            throw new ChatRequestException("invalid_input_item", $"{at}.role must be one of {string.Join(", ", Roles)}.", $"{at}.role");
        }

        var message = new ChatMessage(role);
        if (!item.TryGetProperty("content", out var content) || content.ValueKind is not (JsonValueKind.String or JsonValueKind.Array))
        {
            throw new ChatRequestException("invalid_input_item", $"{at}.content must be a string or an array of content parts.", $"{at}.content");
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            message.Texts.Add(content.GetString()!);
            return message;
        }

        var part = 0;
        foreach (var element in content.EnumerateArray())
        {
            message.Texts.Add(PartText(element, $"{at}.content[{part}]"));
            part++;
        }

        return message;
    }

    /// <summary>The text of one content part: <c>input_text</c>, <c>output_text</c> (an earlier answer) or <c>refusal</c>.</summary>
    private static string PartText(JsonElement part, string at)
    {
        var type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String
            ? typeElement.GetString()
            : null;
        var field = type switch
        {
            "input_text" or "output_text" => "text",
            "refusal" => "refusal",
            null => throw new ChatRequestException("invalid_content", $"{at} must be an object with a 'type', such as {{\"type\": \"input_text\", \"text\": \"...\"}}.", at),
            _ => throw new ChatRequestException("unsupported_content_type",
                $"{at} is '{type}' content, which CostConsole does not route. Supported content parts: input_text, output_text, refusal.", $"{at}.type"),
        };
        return part.TryGetProperty(field, out var text) && text.ValueKind == JsonValueKind.String
            ? text.GetString()!
            : throw new ChatRequestException("invalid_content", $"{at}.{field} must be a string.", $"{at}.{field}");
    }

    /// <summary>A function_call_output's <c>output</c>: a string, or an array of <c>input_text</c> parts.</summary>
    private static string OutputText(JsonElement item, string at)
    {
        if (!item.TryGetProperty("output", out var output))
        {
            throw new ChatRequestException("invalid_input_item", $"{at}.output is required: the function's result as a string.", $"{at}.output");
        }

        switch (output.ValueKind)
        {
            case JsonValueKind.String:
                return output.GetString()!;
            case JsonValueKind.Array:
                var text = new StringBuilder();
                var part = 0;
                foreach (var element in output.EnumerateArray())
                {
                    text.Append(PartText(element, $"{at}.output[{part}]"));
                    part++;
                }

                return text.ToString();
            default:
                throw new ChatRequestException("invalid_input_item", $"{at}.output must be a string or an array of input_text parts.", $"{at}.output");
        }
    }

    /// <summary>Function tools become chat tools; a hosted tool (web search, file search…) has no chat equivalent and is refused.</summary>
    private static bool WriteTools(Utf8JsonWriter writer, JsonElement root)
    {
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (tools.ValueKind != JsonValueKind.Array)
        {
            throw new ChatRequestException("invalid_tools", "'tools' must be an array of {type: \"function\", name, parameters} objects.", "tools");
        }

        if (tools.GetArrayLength() == 0)
        {
            return false;
        }

        writer.WriteStartArray("tools"u8);
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var at = $"tools[{index}]";
            var type = tool.ValueKind == JsonValueKind.Object && tool.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String
                ? typeElement.GetString()
                : throw new ChatRequestException("invalid_tools", $"{at} must be an object with a 'type'.", at);
            if (type != "function")
            {
                throw new ChatRequestException("unsupported_tool",
                    $"{at} is a '{type}' tool. CostConsole routes to chat models, which run only function tools: hosted tools (web search, file search, code interpreter, computer use, MCP) are not available.", $"{at}.type");
            }

            writer.WriteStartObject();
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WriteString("name"u8, RequiredString(tool, "name", at));
            foreach (var name in (ReadOnlySpan<string>)["description", "parameters", "strict"])
            {
                if (tool.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                {
                    writer.WritePropertyName(name);
                    value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
            index++;
        }

        writer.WriteEndArray();
        return true;
    }

    /// <summary>
    /// <c>tool_choice</c> in chat's shape. Without tools, "auto" and "none" mean what no tool_choice means and are left out
    /// (chat completions refuses tool_choice without tools); a choice that demands a call is refused.
    /// </summary>
    private static void WriteToolChoice(Utf8JsonWriter writer, JsonElement root, bool hasTools)
    {
        if (!root.TryGetProperty("tool_choice", out var choice) || choice.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (choice.ValueKind == JsonValueKind.String && choice.GetString() is "auto" or "none")
        {
            if (hasTools)
            {
                writer.WriteString("tool_choice"u8, choice.GetString());
            }

            return;
        }

        var demands = choice.ValueKind == JsonValueKind.String && choice.ValueEquals("required"u8)
            || choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var kind) && kind.ValueEquals("function"u8);
        if (demands && !hasTools)
        {
            throw new ChatRequestException("invalid_tool_choice", "'tool_choice' asks for a function call, but the request has no 'tools': send the functions the model may call.", "tool_choice");
        }

        if (choice.ValueKind == JsonValueKind.String && choice.ValueEquals("required"u8))
        {
            writer.WriteString("tool_choice"u8, "required"u8);
            return;
        }

        if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("type", out var type) && type.ValueEquals("function"u8))
        {
            writer.WriteStartObject("tool_choice"u8);
            writer.WriteString("type"u8, "function"u8);
            writer.WriteStartObject("function"u8);
            writer.WriteString("name"u8, RequiredString(choice, "name", "tool_choice"));
            writer.WriteEndObject();
            writer.WriteEndObject();
            return;
        }

        throw new ChatRequestException("invalid_tool_choice",
            "'tool_choice' must be \"auto\", \"none\", \"required\" or {\"type\": \"function\", \"name\": ...}; hosted-tool and allowed_tools choices are not available.", "tool_choice");
    }

    /// <summary><c>text.format</c> becomes chat's <c>response_format</c>; <c>text.verbosity</c> has no chat equivalent.</summary>
    private static bool WriteText(Utf8JsonWriter writer, JsonElement root, List<string> ignored)
    {
        if (!root.TryGetProperty("text", out var text) || text.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        if (text.ValueKind != JsonValueKind.Object)
        {
            throw new ChatRequestException("invalid_text", "'text' must be an object such as {\"format\": {\"type\": \"json_object\"}}.", "text");
        }

        if (text.TryGetProperty("verbosity", out var verbosity) && verbosity.ValueKind != JsonValueKind.Null)
        {
            ignored.Add("text.verbosity");
        }

        if (!text.TryGetProperty("format", out var format) || format.ValueKind == JsonValueKind.Null)
        {
            return false;
        }

        var type = format.ValueKind == JsonValueKind.Object && format.TryGetProperty("type", out var typeElement) && typeElement.ValueKind == JsonValueKind.String
            ? typeElement.GetString()
            : null;
        switch (type)
        {
            case "text":
                return false;
            case "json_object":
                writer.WriteStartObject("response_format"u8);
                writer.WriteString("type"u8, "json_object"u8);
                writer.WriteEndObject();
                return true;
            case "json_schema":
                if (!format.TryGetProperty("schema", out var schema) || schema.ValueKind != JsonValueKind.Object)
                {
                    throw new ChatRequestException("invalid_text_format", "'text.format.schema' must be a JSON Schema object.", "text.format.schema");
                }

                writer.WriteStartObject("response_format"u8);
                writer.WriteString("type"u8, "json_schema"u8);
                writer.WriteStartObject("json_schema"u8);
                writer.WriteString("name"u8, RequiredString(format, "name", "text.format"));
                foreach (var name in (ReadOnlySpan<string>)["description", "strict"])
                {
                    if (format.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null)
                    {
                        writer.WritePropertyName(name);
                        value.WriteTo(writer);
                    }
                }

                writer.WritePropertyName("schema"u8);
                schema.WriteTo(writer);
                writer.WriteEndObject();
                writer.WriteEndObject();
                return true;
            default:
                throw new ChatRequestException("invalid_text_format", "'text.format.type' must be \"text\", \"json_object\" or \"json_schema\".", "text.format.type");
        }
    }

    private static double? Number(Utf8JsonWriter writer, JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Number)
        {
            throw new ChatRequestException("invalid_type", $"'{name}' must be a number.", name);
        }

        writer.WritePropertyName(name);
        value.WriteTo(writer);
        return value.GetDouble();
    }

    private static string RequiredString(JsonElement item, string name, string at) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text
            ? text
            : throw new ChatRequestException("invalid_input_item", $"{at}.{name} is required and must be a non-empty string.", $"{at}.{name}");

    /// <summary>A function call's arguments: a JSON string, which may be empty for a function without parameters.</summary>
    private static string Arguments(JsonElement item, string at) =>
        item.TryGetProperty("arguments", out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new ChatRequestException("invalid_input_item", $"{at}.arguments is required: the call's arguments as a JSON string.", $"{at}.arguments");

    private static string? Raw(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value.GetRawText() : null;

    private static bool IsSet(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => false,
        JsonValueKind.Array => value.GetArrayLength() > 0,
        JsonValueKind.Object => value.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.Null),
        _ => true,
    };

    private sealed record ToolCall(string Id, string Name, string Arguments);

    /// <summary>One chat completions message being assembled from input items.</summary>
    private sealed class ChatMessage(string role)
    {
        public string Role { get; } = role;

        public List<string> Texts { get; } = [];

        public List<ToolCall> Calls { get; } = [];

        public string? ToolCallId { get; init; }

        /// <summary>A message as <see cref="WriteTo"/> wrote it into a stored conversation.</summary>
        public static ChatMessage Read(JsonElement message)
        {
            var result = new ChatMessage(message.GetProperty("role").GetString()!)
            {
                ToolCallId = message.TryGetProperty("tool_call_id", out var id) ? id.GetString() : null,
            };
            if (message.TryGetProperty("content", out var content))
            {
                if (content.ValueKind == JsonValueKind.String)
                {
                    // WriteTo writes "" for an empty message; reading it back as one empty text writes the same.
                    result.Texts.Add(content.GetString()!);
                }
                else
                {
                    foreach (var part in content.EnumerateArray())
                    {
                        result.Texts.Add(part.GetProperty("text").GetString()!);
                    }
                }
            }

            if (message.TryGetProperty("tool_calls", out var calls))
            {
                foreach (var call in calls.EnumerateArray())
                {
                    var function = call.GetProperty("function");
                    result.Calls.Add(new ToolCall(call.GetProperty("id").GetString()!, function.GetProperty("name").GetString()!, function.GetProperty("arguments").GetString()!));
                }
            }

            return result;
        }

        /// <summary>A stored response's output as the assistant's turn: its text (and refusals) and its function calls.</summary>
        public static ChatMessage Answer(JsonElement response)
        {
            var result = new ChatMessage("assistant");
            var text = new StringBuilder();
            foreach (var item in response.GetProperty("output").EnumerateArray())
            {
                if (item.GetProperty("type").ValueEquals("message"u8))
                {
                    foreach (var part in item.GetProperty("content").EnumerateArray())
                    {
                        text.Append(part.TryGetProperty("text", out var value) || part.TryGetProperty("refusal", out value) ? value.GetString() : null);
                    }
                }
                else if (item.GetProperty("type").ValueEquals("function_call"u8))
                {
                    result.Calls.Add(new ToolCall(item.GetProperty("call_id").GetString()!, item.GetProperty("name").GetString()!, item.GetProperty("arguments").GetString()!));
                }
            }

            if (text.Length > 0 || result.Calls.Count == 0)
            {
                result.Texts.Add(text.ToString());
            }

            return result;
        }

        /// <summary>The message as the router reads it: its role and text (the text of an assistant turn that only calls tools is empty).</summary>
        public ChatTurn Turn() => new(Role, ChatRequestParser.PartsText(Texts));

        public void WriteTo(Utf8JsonWriter writer)
        {
            writer.WriteStartObject();
            writer.WriteString("role"u8, Role);
            if (ToolCallId is not null)
            {
                writer.WriteString("tool_call_id"u8, ToolCallId);
            }

            if (Texts.Count == 1)
            {
                writer.WriteString("content"u8, Texts[0]);
            }
            else if (Texts.Count > 1)
            {
                writer.WriteStartArray("content"u8);
                foreach (var text in Texts)
                {
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "text"u8);
                    writer.WriteString("text"u8, text);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }
            else if (Calls.Count == 0)
            {
                writer.WriteString("content"u8, ""u8);
            }

            if (Calls.Count > 0)
            {
                writer.WriteStartArray("tool_calls"u8);
                foreach (var call in Calls)
                {
                    writer.WriteStartObject();
                    writer.WriteString("id"u8, call.Id);
                    writer.WriteString("type"u8, "function"u8);
                    writer.WriteStartObject("function"u8);
                    writer.WriteString("name"u8, call.Name);
                    writer.WriteString("arguments"u8, call.Arguments);
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }
    }
}
