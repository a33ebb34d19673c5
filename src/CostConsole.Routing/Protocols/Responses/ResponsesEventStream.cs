using System.Text.Json;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;

namespace CostConsole.Routing.Protocols.Responses;

/// <summary>One server-sent event of a streamed response: its type (the SSE <c>event:</c> name) and its JSON.</summary>
public readonly record struct ResponsesEvent(string Type, byte[] Data);

/// <summary>
/// Turns the chunks of a streamed chat completion into the Responses API's own events, each with its
/// <c>sequence_number</c>: <c>response.created</c> and <c>response.in_progress</c>, then per output item
/// <c>output_item.added</c>, its content part or argument deltas, and their <c>done</c> events, and last
/// <c>response.completed</c> (or <c>response.incomplete</c>, or <c>response.failed</c>) with the whole response.
/// Text opens a message item; a tool call closes the message and opens a function_call item. Function calls stay
/// open until the end, so arguments of parallel calls may arrive interleaved.
/// </summary>
public sealed class ResponsesEventStream(ResponsesRequest request, string responseId, long createdAt)
{
    private readonly List<OutputItem> _output = [];
    private readonly Dictionary<int, OutputItem> _calls = [];
    private OutputItem? _message;
    private int _sequence;
    private string _model = "";
    private string? _finishReason;
    private long _reasoningTokens;

    /// <summary>The stream is committed to <paramref name="model"/>: <c>response.created</c>, then <c>response.in_progress</c>.</summary>
    public IReadOnlyList<ResponsesEvent> Begin(string model)
    {
        _model = model;
        var events = new List<ResponsesEvent>(2);
        Add(events, "response.created", w => WriteResponse(w, "in_progress", null, null));
        Add(events, "response.in_progress", w => WriteResponse(w, "in_progress", null, null));
        return events;
    }

    /// <summary>The events one chat completion chunk becomes (none for a usage-only chunk or an empty delta).</summary>
    public IReadOnlyList<ResponsesEvent> Translate(ReadOnlyMemory<byte> chunk)
    {
        var events = new List<ResponsesEvent>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(chunk);
        }
        catch (JsonException)
        {
            // Not a chat chunk (a provider's keep-alive or a stray line): it carries nothing to translate.
            return events;
        }

        using var _ = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return events;
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            _reasoningTokens = ResponseObject.ReasoningTokens(root);
        }

        if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
        {
            return events;
        }

        var choice = choices[0];
        if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
        {
            if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
            {
                AppendText(events, text, refusal: false);
            }

            if (delta.TryGetProperty("refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String && refusal.GetString() is { Length: > 0 } refused)
            {
                AppendText(events, refused, refusal: true);
            }

            if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    AppendCall(events, call);
                }
            }
        }

        if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
        {
            _finishReason = finish.GetString();
        }

        return events;
    }

    /// <summary>The whole response object once <see cref="Complete"/> has run, when the request is stored: what is kept.</summary>
    public byte[]? Final { get; private set; }

    /// <summary>
    /// The answer is complete and recorded with <paramref name="usage"/>: closes every open item and ends with
    /// <c>response.completed</c>, or <c>response.incomplete</c> when the token limit cut the answer.
    /// </summary>
    public IReadOnlyList<ResponsesEvent> Complete(TokenUsage usage)
    {
        var events = new List<ResponsesEvent>();
        if (_output.Count == 0)
        {
            // An empty answer is still one (empty) message, as the API returns it.
            OpenMessage(events);
            OpenPart(events, _message!, refusal: false);
        }

        var (status, incomplete) = ResponseObject.Status(_finishReason);
        CloseMessage(events, incomplete is null ? "completed" : "incomplete");
        foreach (var item in _output)
        {
            if (item.Type == "function_call" && item.Status == "in_progress")
            {
                var index = _output.IndexOf(item);
                item.Status = "completed";
                Add(events, "response.function_call_arguments.done", w =>
                {
                    w.WriteString("item_id"u8, item.Id);
                    w.WriteNumber("output_index"u8, index);
                    w.WriteString("name"u8, item.Name);
                    w.WriteString("arguments"u8, item.Arguments.ToString());
                });
                Add(events, "response.output_item.done", w => WriteItem(w, index, item));
            }
        }

        var result = new ResponseUsage(usage, _reasoningTokens);
        Add(events, incomplete is null ? "response.completed" : "response.incomplete", w => WriteResponse(w, status, result, incomplete));
        if (request.Store)
        {
            Final = ResponseObject.Serialize(w => ResponseObject.Write(w, request, responseId, createdAt, status, _model, _output, result, incomplete, null));
        }

        return events;
    }

    /// <summary>The answer broke off after the client had events: <c>response.failed</c> with the error and what was sent.</summary>
    public IReadOnlyList<ResponsesEvent> Fail(ChatError error)
    {
        var events = new List<ResponsesEvent>(1);
        Add(events, "response.failed", w =>
        {
            w.WritePropertyName("response"u8);
            ResponseObject.Write(w, request, responseId, createdAt, "failed", _model, _output, null, null, error);
        });
        return events;
    }

    private void AppendText(List<ResponsesEvent> events, string text, bool refusal)
    {
        if (_message is null)
        {
            OpenMessage(events);
        }

        var message = _message!;
        if (message.Parts.Count == 0 || message.Parts[^1].IsRefusal != refusal)
        {
            if (message.Parts.Count > 0)
            {
                ClosePart(events, message);
            }

            OpenPart(events, message, refusal);
        }

        var part = message.Parts[^1];
        part.Text.Append(text);
        var outputIndex = _output.IndexOf(message);
        var contentIndex = message.Parts.Count - 1;
        Add(events, refusal ? "response.refusal.delta" : "response.output_text.delta", w =>
        {
            w.WriteString("item_id"u8, message.Id);
            w.WriteNumber("output_index"u8, outputIndex);
            w.WriteNumber("content_index"u8, contentIndex);
            w.WriteString("delta"u8, text);
            if (!refusal)
            {
                w.WriteStartArray("logprobs"u8);
                w.WriteEndArray();
            }
        });
    }

    private void AppendCall(List<ResponsesEvent> events, JsonElement call)
    {
        var index = call.TryGetProperty("index", out var indexElement) && indexElement.TryGetInt32(out var i) ? i : 0;
        var function = call.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
        var name = function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
        var arguments = function.ValueKind == JsonValueKind.Object && function.TryGetProperty("arguments", out var a) && a.ValueKind == JsonValueKind.String ? a.GetString() : null;
        if (!_calls.TryGetValue(index, out var item))
        {
            CloseMessage(events, "completed");
            item = new OutputItem
            {
                Type = "function_call",
                Id = ResponseObject.NewId("fc_"),
                CallId = call.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : ResponseObject.NewId("call_"),
                Name = name ?? "",
            };
            _calls[index] = item;
            _output.Add(item);
            var added = _output.Count - 1;
            Add(events, "response.output_item.added", w => WriteItem(w, added, item));
        }
        else if (name is not null && item.Name.Length == 0)
        {
            item.Name = name;
        }

        if (!string.IsNullOrEmpty(arguments))
        {
            item.Arguments.Append(arguments);
            var outputIndex = _output.IndexOf(item);
            Add(events, "response.function_call_arguments.delta", w =>
            {
                w.WriteString("item_id"u8, item.Id);
                w.WriteNumber("output_index"u8, outputIndex);
                w.WriteString("delta"u8, arguments);
            });
        }
    }

    private void OpenMessage(List<ResponsesEvent> events)
    {
        var message = new OutputItem { Type = "message", Id = ResponseObject.NewId("msg_") };
        _message = message;
        _output.Add(message);
        var index = _output.Count - 1;
        Add(events, "response.output_item.added", w => WriteItem(w, index, message));
    }

    private void OpenPart(List<ResponsesEvent> events, OutputItem message, bool refusal)
    {
        var part = new ContentPart(refusal);
        message.Parts.Add(part);
        var outputIndex = _output.IndexOf(message);
        var contentIndex = message.Parts.Count - 1;
        Add(events, "response.content_part.added", w =>
        {
            w.WriteString("item_id"u8, message.Id);
            w.WriteNumber("output_index"u8, outputIndex);
            w.WriteNumber("content_index"u8, contentIndex);
            w.WritePropertyName("part"u8);
            part.Write(w);
        });
    }

    private void ClosePart(List<ResponsesEvent> events, OutputItem message)
    {
        var part = message.Parts[^1];
        var outputIndex = _output.IndexOf(message);
        var contentIndex = message.Parts.Count - 1;
        var text = part.Text.ToString();
        Add(events, part.IsRefusal ? "response.refusal.done" : "response.output_text.done", w =>
        {
            w.WriteString("item_id"u8, message.Id);
            w.WriteNumber("output_index"u8, outputIndex);
            w.WriteNumber("content_index"u8, contentIndex);
            if (part.IsRefusal)
            {
                w.WriteString("refusal"u8, text);
            }
            else
            {
                w.WriteString("text"u8, text);
                w.WriteStartArray("logprobs"u8);
                w.WriteEndArray();
            }
        });
        Add(events, "response.content_part.done", w =>
        {
            w.WriteString("item_id"u8, message.Id);
            w.WriteNumber("output_index"u8, outputIndex);
            w.WriteNumber("content_index"u8, contentIndex);
            w.WritePropertyName("part"u8);
            part.Write(w);
        });
    }

    private void CloseMessage(List<ResponsesEvent> events, string status)
    {
        if (_message is not { } message)
        {
            return;
        }

        ClosePart(events, message);
        message.Status = status;
        var index = _output.IndexOf(message);
        Add(events, "response.output_item.done", w => WriteItem(w, index, message));
        _message = null;
    }

    private static void WriteItem(Utf8JsonWriter writer, int outputIndex, OutputItem item)
    {
        writer.WriteNumber("output_index"u8, outputIndex);
        writer.WritePropertyName("item"u8);
        item.Write(writer);
    }

    private void WriteResponse(Utf8JsonWriter writer, string status, ResponseUsage? usage, string? incomplete)
    {
        writer.WritePropertyName("response"u8);
        ResponseObject.Write(writer, request, responseId, createdAt, status, _model, _output, usage, incomplete, null);
    }

    private void Add(List<ResponsesEvent> events, string type, Action<Utf8JsonWriter> body)
    {
        var sequence = _sequence++;
        events.Add(new ResponsesEvent(type, ResponseObject.Serialize(w =>
        {
            w.WriteStartObject();
            w.WriteString("type"u8, type);
            w.WriteNumber("sequence_number"u8, sequence);
            body(w);
            w.WriteEndObject();
        })));
    }
}
