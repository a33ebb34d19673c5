using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;

namespace CostConsole.Routing.Protocols.Messages;

/// <summary>Writes a routed model's chat completion as an Anthropic Messages answer.</summary>
public static class MessagesResponse
{
    /// <summary>Text as Anthropic writes it: quotes and non-ASCII characters unescaped (a JSON body is never read as HTML).</summary>
    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The Messages id of a request: <c>msg_</c> and the ledger's request id, so an answer can be found in the console.</summary>
    public static string MessageId(string requestId) => "msg_" + (requestId.StartsWith("req_", StringComparison.Ordinal) ? requestId[4..] : requestId);

    /// <summary>
    /// The Messages answer for a chat completion: the first choice's text as a text block, each tool call as a
    /// <c>tool_use</c> block, its finish reason as a stop reason, and <paramref name="usage"/> (what the ledger recorded).
    /// </summary>
    /// <param name="stopSequences">The request's <c>stop_sequences</c>: a "stop" finish that one of them ended is reported as <c>stop_sequence</c>.</param>
    public static ReadOnlyMemory<byte> FromChatCompletion(ReadOnlySpan<byte> completion, string messageId, string fallbackModel, TokenUsage usage, IReadOnlyList<string>? stopSequences = null)
    {
        var reply = CompletionReply.Read(completion);

        using var buffer = new PooledBuffer(completion.Length * 2 + 1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, messageId);
            writer.WriteString("type"u8, "message");
            writer.WriteString("role"u8, "assistant");
            if (reply.Model is { } model)
            {
                CompletionReply.WriteString(writer, "model"u8, completion, model);
            }
            else
            {
                writer.WriteString("model"u8, fallbackModel);
            }

            writer.WriteStartArray("content"u8);
            var calls = false;
            if (reply.HasMessage)
            {
                if (reply.Content is { IsEmpty: false } content)
                {
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "text");
                    CompletionReply.WriteString(writer, "text"u8, completion, content);
                    writer.WriteEndObject();
                }

                foreach (var call in reply.ToolCalls ?? [])
                {
                    if (!call.HasFunction)
                    {
                        continue;
                    }

                    calls = true;
                    writer.WriteStartObject();
                    writer.WriteString("type"u8, "tool_use");
                    if (call.Id is { } id)
                    {
                        CompletionReply.WriteString(writer, "id"u8, completion, id);
                    }
                    else
                    {
                        writer.WriteString("id"u8, "toolu_" + Guid.NewGuid().ToString("N"));
                    }

                    if (call.Name is { } name)
                    {
                        CompletionReply.WriteString(writer, "name"u8, completion, name);
                    }
                    else
                    {
                        writer.WriteString("name"u8, "");
                    }

                    writer.WritePropertyName("input"u8);
                    WriteInput(writer, call.Arguments is { } arguments ? CompletionReply.Text(completion, arguments) : "");
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndArray();

            // The answer's text is read only when a stop sequence may have ended it.
            var text = stopSequences is { Count: > 0 } && reply.HasMessage && reply.Content is { } answer ? CompletionReply.Text(completion, answer) : "";
            WriteStop(writer, reply.FinishReason, calls, StopSequence(reply.FinishReason, calls, stopSequences, reply.UpstreamStopReason, text));
            WriteUsage(writer, usage);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The request's stop sequences, as the Messages request gave them (<c>stop_sequences</c>, sent on as <c>stop</c>).</summary>
    public static IReadOnlyList<string> StopSequences(Requests.ChatRequest request) =>
        request.Translated is not null ? request.TranslatedStop ?? []
        : request.Root.TryGetProperty("stop", out var stop) && stop.ValueKind == JsonValueKind.Array
            ? [.. stop.EnumerateArray().Where(s => s.ValueKind == JsonValueKind.String).Select(s => s.GetString()!)]
            : [];

    /// <summary>
    /// The stop sequence that ended the answer, or null. Chat completions reports a stop sequence and a natural end
    /// both as "stop"; the sequence is known when the upstream names it (vLLM, and the simulator, put it in
    /// <c>choices[].stop_reason</c>) or left it at the end of the text. Otherwise the answer ended on its own.
    /// </summary>
    public static string? StopSequence(string? finishReason, bool calledTools, IReadOnlyList<string>? stopSequences, string? upstreamStopReason, string answer)
    {
        if (finishReason != "stop" || calledTools || stopSequences is not { Count: > 0 })
        {
            return null;
        }

        if (upstreamStopReason is not null && stopSequences.Contains(upstreamStopReason, StringComparer.Ordinal))
        {
            return upstreamStopReason;
        }

        foreach (var sequence in stopSequences)
        {
            if (answer.EndsWith(sequence, StringComparison.Ordinal))
            {
                return sequence;
            }
        }

        return null;
    }

    /// <summary><c>stop_reason</c> and <c>stop_sequence</c> as Messages writes them.</summary>
    internal static void WriteStop(Utf8JsonWriter writer, string? finishReason, bool calledTools, string? stopSequence)
    {
        if (stopSequence is null)
        {
            writer.WriteString("stop_reason"u8, StopReason(finishReason, calledTools));
            writer.WriteNull("stop_sequence"u8);
        }
        else
        {
            writer.WriteString("stop_reason"u8, "stop_sequence"u8);
            writer.WriteString("stop_sequence"u8, stopSequence);
        }
    }

    /// <summary>The stop string a vLLM-style server names in a choice's <c>stop_reason</c> (a number there is a token id: not a sequence).</summary>
    internal static string? UpstreamStopReason(JsonElement choice) =>
        choice.TryGetProperty("stop_reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString() : null;

    /// <summary>
    /// Why the answer ended, in Messages' words, when no stop sequence can be matched to its end (see <see cref="StopSequence"/>).
    /// </summary>
    public static string StopReason(string? finishReason, bool calledTools) => finishReason switch
    {
        "length" => "max_tokens",
        "tool_calls" or "function_call" => "tool_use",
        "content_filter" => "refusal",
        _ when calledTools => "tool_use",
        _ => "end_turn",
    };

    /// <summary>Messages counts cache reads and writes apart from input tokens; chat completions counts them as a part of prompt tokens.</summary>
    public static void WriteUsage(Utf8JsonWriter writer, TokenUsage usage)
    {
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("input_tokens"u8, Math.Max(0, usage.PromptTokens - usage.CachedPromptTokens - usage.CacheWriteTokens));
        writer.WriteNumber("output_tokens"u8, usage.CompletionTokens);
        writer.WriteNumber("cache_read_input_tokens"u8, usage.CachedPromptTokens);
        writer.WriteNumber("cache_creation_input_tokens"u8, usage.CacheWriteTokens);
        writer.WriteEndObject();
    }

    /// <summary>A tool call's arguments as the <c>input</c> object; arguments that are not a JSON object give an empty one.</summary>
    internal static void WriteInput(Utf8JsonWriter writer, string arguments)
    {
        try
        {
            using var parsed = JsonDocument.Parse(arguments);
            if (parsed.RootElement.ValueKind == JsonValueKind.Object)
            {
                parsed.RootElement.WriteTo(writer);
                return;
            }
        }
        catch (JsonException)
        {
            // A model that wrote broken arguments: the client gets an empty input rather than no answer.
        }

        writer.WriteStartObject();
        writer.WriteEndObject();
    }
}
