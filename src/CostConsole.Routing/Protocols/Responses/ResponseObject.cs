using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using CostConsole.Routing.Pipeline;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Protocols.Responses;

/// <summary>One item of a response's <c>output</c>: an assistant message or a function call.</summary>
internal sealed class OutputItem
{
    public required string Type { get; init; }

    public required string Id { get; init; }

    public string Status { get; set; } = "in_progress";

    /// <summary>A message's content parts, in order: <c>output_text</c> or <c>refusal</c>.</summary>
    public List<ContentPart> Parts { get; } = [];

    public string CallId { get; init; } = "";

    public string Name { get; set; } = "";

    public StringBuilder Arguments { get; } = new();

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, Id);
        writer.WriteString("type"u8, Type);
        writer.WriteString("status"u8, Status);
        if (Type == "message")
        {
            writer.WriteString("role"u8, "assistant"u8);
            writer.WriteStartArray("content"u8);
            foreach (var part in Parts)
            {
                part.Write(writer);
            }

            writer.WriteEndArray();
        }
        else
        {
            writer.WriteString("call_id"u8, CallId);
            writer.WriteString("name"u8, Name);
            writer.WriteString("arguments"u8, Arguments.ToString());
        }

        writer.WriteEndObject();
    }
}

internal sealed class ContentPart(bool refusal)
{
    public bool IsRefusal { get; } = refusal;

    public StringBuilder Text { get; } = new();

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        if (IsRefusal)
        {
            writer.WriteString("type"u8, "refusal"u8);
            writer.WriteString("refusal"u8, Text.ToString());
        }
        else
        {
            writer.WriteString("type"u8, "output_text"u8);
            writer.WriteString("text"u8, Text.ToString());
            writer.WriteStartArray("annotations"u8);
            writer.WriteEndArray();
            writer.WriteStartArray("logprobs"u8);
            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }
}

/// <summary>Token counts as a response reports them; reasoning tokens are part of the output tokens.</summary>
internal readonly record struct ResponseUsage(TokenUsage Tokens, long ReasoningTokens);

/// <summary>The response object (<c>"object": "response"</c>) and the translation of a chat completion into one.</summary>
public static class ResponseObject
{
    /// <summary>The response id of a CostConsole request: its request id under the Responses prefix, so the ledger row is easy to find.</summary>
    public static string IdFor(string requestId) => "resp_" + (requestId.StartsWith("req_", StringComparison.Ordinal) ? requestId[4..] : requestId);

    /// <summary>
    /// Translates a chat completion (the pipeline's answer) into a response: the message's text (or refusal) as a
    /// message item, each tool call as a function_call item, and the recorded <paramref name="usage"/>.
    /// </summary>
    public static byte[] FromCompletion(ResponsesRequest request, string responseId, long createdAt, string routedModel, ReadOnlyMemory<byte> completion, TokenUsage usage)
    {
        var json = completion.Span;
        var reply = CompletionReply.Read(json);
        var (status, incomplete) = Status(reply.FinishReason);
        using var buffer = new PooledBuffer(json.Length * 2 + 4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteHead(writer, request, responseId, createdAt, status, incomplete, null);
            if (reply.Model is { } model)
            {
                CompletionReply.WriteString(writer, "model"u8, json, model);
            }
            else
            {
                writer.WriteString("model"u8, routedModel);
            }

            writer.WriteStartArray("output"u8);
            if (reply.HasMessage)
            {
                WriteOutput(writer, reply, json, incomplete is null ? "completed" : "incomplete");
            }

            writer.WriteEndArray();
            WriteTail(writer, request, new ResponseUsage(usage, reply.ReasoningTokens));
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// The completion's message as output items, written from its bytes: its text (or refusal) as a message item, unless it
    /// only calls tools, then each tool call as a function_call item.
    /// </summary>
    private static void WriteOutput(Utf8JsonWriter writer, CompletionReply reply, ReadOnlySpan<byte> json, string messageStatus)
    {
        var hasText = reply.Content is { IsEmpty: false };
        var calls = reply.ToolCalls;
        if (hasText || reply.Refusal is not null || calls is not { Count: > 0 })
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, NewId("msg_"));
            writer.WriteString("type"u8, "message"u8);
            writer.WriteString("status"u8, messageStatus);
            writer.WriteString("role"u8, "assistant"u8);
            writer.WriteStartArray("content"u8);
            if (reply.Refusal is { } refusal)
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "refusal"u8);
                CompletionReply.WriteString(writer, "refusal"u8, json, refusal);
                writer.WriteEndObject();
            }

            if (hasText || reply.Refusal is null)
            {
                writer.WriteStartObject();
                writer.WriteString("type"u8, "output_text"u8);
                if (reply.Content is { } content)
                {
                    CompletionReply.WriteString(writer, "text"u8, json, content);
                }
                else
                {
                    writer.WriteString("text"u8, ""u8);
                }

                writer.WriteStartArray("annotations"u8);
                writer.WriteEndArray();
                writer.WriteStartArray("logprobs"u8);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        if (calls is null)
        {
            return;
        }

        foreach (var call in calls)
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, NewId("fc_"));
            writer.WriteString("type"u8, "function_call"u8);
            writer.WriteString("status"u8, "completed"u8);
            if (call.Id is { } id)
            {
                CompletionReply.WriteString(writer, "call_id"u8, json, id);
            }
            else
            {
                writer.WriteString("call_id"u8, NewId("call_"));
            }

            WriteStringOrEmpty(writer, "name"u8, json, call.Name);
            WriteStringOrEmpty(writer, "arguments"u8, json, call.Arguments);
            writer.WriteEndObject();
        }
    }

    private static void WriteStringOrEmpty(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> json, JsonSlice? value)
    {
        if (value is { } slice)
        {
            CompletionReply.WriteString(writer, name, json, slice);
        }
        else
        {
            writer.WriteString(name, ""u8);
        }
    }

    /// <summary>A response cut by the token limit (or a content filter) is incomplete, and says why.</summary>
    internal static (string Status, string? IncompleteReason) Status(string? finishReason) => finishReason switch
    {
        "length" => ("incomplete", "max_output_tokens"),
        "content_filter" => ("incomplete", "content_filter"),
        _ => ("completed", null),
    };

    /// <summary>Reasoning tokens from a chat usage object, when the upstream reports them.</summary>
    internal static long ReasoningTokens(JsonElement root) =>
        root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object
        && usage.TryGetProperty("completion_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object
        && details.TryGetProperty("reasoning_tokens", out var reasoning) && reasoning.TryGetInt64(out var tokens)
            ? tokens
            : 0;

    internal static string NewId(string prefix) => prefix + Guid.CreateVersion7().ToString("N");

    /// <summary>JSON for API clients, not HTML: quotes and non-ASCII text are written as they are, as OpenAI writes them.</summary>
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static byte[] Serialize(Action<Utf8JsonWriter> write)
    {
        using var buffer = new PooledBuffer(4096);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            write(writer);
        }

        return buffer.ToArray();
    }

    /// <summary>Writes the whole response object, echoing the request's settings as the Responses API does.</summary>
    internal static void Write(
        Utf8JsonWriter writer,
        ResponsesRequest request,
        string responseId,
        long createdAt,
        string status,
        string model,
        IReadOnlyList<OutputItem> output,
        ResponseUsage? usage,
        string? incompleteReason,
        ChatError? error)
    {
        WriteHead(writer, request, responseId, createdAt, status, incompleteReason, error);
        writer.WriteString("model"u8, model);
        writer.WriteStartArray("output"u8);
        foreach (var item in output)
        {
            item.Write(writer);
        }

        writer.WriteEndArray();
        WriteTail(writer, request, usage);
    }

    /// <summary>The response object up to its model: what it is, its status and the request's instructions and token limit.</summary>
    private static void WriteHead(Utf8JsonWriter writer, ResponsesRequest request, string responseId, long createdAt, string status, string? incompleteReason, ChatError? error)
    {
        writer.WriteStartObject();
        writer.WriteString("id"u8, responseId);
        writer.WriteString("object"u8, "response"u8);
        writer.WriteNumber("created_at"u8, createdAt);
        writer.WriteString("status"u8, status);
        writer.WriteBoolean("background"u8, false);
        if (error is null)
        {
            writer.WriteNull("error"u8);
        }
        else
        {
            writer.WriteStartObject("error"u8);
            writer.WriteString("code"u8, error.Code);
            writer.WriteString("message"u8, error.Message);
            writer.WriteEndObject();
        }

        if (incompleteReason is null)
        {
            writer.WriteNull("incomplete_details"u8);
        }
        else
        {
            writer.WriteStartObject("incomplete_details"u8);
            writer.WriteString("reason"u8, incompleteReason);
            writer.WriteEndObject();
        }

        WriteStringOrNull(writer, "instructions", request.Instructions);
        WriteNumberOrNull(writer, "max_output_tokens", request.MaxOutputTokens);
    }

    /// <summary>The response object after its output: the request's settings echoed, the usage, and the end of the object.</summary>
    private static void WriteTail(Utf8JsonWriter writer, ResponsesRequest request, ResponseUsage? usage)
    {
        writer.WriteBoolean("parallel_tool_calls"u8, request.ParallelToolCalls);
        WriteStringOrNull(writer, "previous_response_id", request.PreviousResponseId);
        writer.WriteStartObject("reasoning"u8);
        writer.WriteNull("effort"u8);
        writer.WriteNull("summary"u8);
        writer.WriteEndObject();
        writer.WriteBoolean("store"u8, request.Store);
        WriteNumberOrNull(writer, "temperature", request.Temperature);
        WriteRaw(writer, "text", request.TextJson, """{"format":{"type":"text"}}""");
        WriteRaw(writer, "tool_choice", request.ToolChoiceJson, "\"auto\"");
        WriteRaw(writer, "tools", request.ToolsJson, "[]");
        WriteNumberOrNull(writer, "top_p", request.TopP);
        writer.WriteString("truncation"u8, "disabled"u8);
        if (usage is { } u)
        {
            writer.WriteStartObject("usage"u8);
            writer.WriteNumber("input_tokens"u8, u.Tokens.PromptTokens);
            writer.WriteStartObject("input_tokens_details"u8);
            writer.WriteNumber("cached_tokens"u8, u.Tokens.CachedPromptTokens);
            writer.WriteEndObject();
            writer.WriteNumber("output_tokens"u8, u.Tokens.CompletionTokens);
            writer.WriteStartObject("output_tokens_details"u8);
            writer.WriteNumber("reasoning_tokens"u8, u.ReasoningTokens);
            writer.WriteEndObject();
            writer.WriteNumber("total_tokens"u8, u.Tokens.TotalTokens);
            writer.WriteEndObject();
        }
        else
        {
            writer.WriteNull("usage"u8);
        }

        WriteStringOrNull(writer, "user", request.Chat.User);
        WriteRaw(writer, "metadata", request.MetadataJson, "{}");
        writer.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, double? value)
    {
        if (value is { } number)
        {
            writer.WriteNumber(name, number);
        }
        else
        {
            writer.WriteNull(name);
        }
    }

    private static void WriteRaw(Utf8JsonWriter writer, string name, string? json, string fallback)
    {
        writer.WritePropertyName(name);
        writer.WriteRawValue(json ?? fallback, skipInputValidation: true);
    }
}
