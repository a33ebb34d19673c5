using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CostConsole.Routing.Providers.Passthrough;

/// <summary>
/// Reads a Responses API answer (a response object, or its stream events) as the chat completion the router reads:
/// <c>output_text</c> as content, <c>function_call</c> items as tool calls, the status as a finish reason, and
/// <c>input_tokens</c> / <c>output_tokens</c> (with <c>cached_tokens</c>) as usage.
/// </summary>
internal sealed class ResponsesNative(long created)
{
    private readonly Dictionary<long, int> _toolIndexes = [];
    private string _id = "resp";
    private string _model = "";

    /// <summary>True once the stream has ended as the Responses API ends it (<c>response.completed</c> or <c>response.incomplete</c>).</summary>
    public bool Finished { get; private set; }

    /// <summary>The provider's message once it has ended the stream with <c>response.failed</c> or <c>error</c>.</summary>
    public string? Failure { get; private set; }

    /// <summary>The chat completion <paramref name="response"/> reads as; one that is not a response object (or <c>default</c>) reads as an answer without text or usage.</summary>
    public static byte[] ToChatCompletion(JsonElement response, long created)
    {
        var text = new StringBuilder();
        var calls = new List<JsonElement>();
        if (response.ValueKind == JsonValueKind.Object && response.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in output.EnumerateArray())
            {
                switch (NativeReply.String(item, "type"))
                {
                    case "message" when item.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array:
                        foreach (var part in content.EnumerateArray())
                        {
                            if (NativeReply.String(part, "type") == "output_text")
                            {
                                text.Append(NativeReply.String(part, "text"));
                            }
                        }

                        break;
                    case "function_call":
                        calls.Add(item);
                        break;
                }
            }
        }

        var buffer = new ArrayBufferWriter<byte>(512 + text.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, NativeReply.String(response, "id") ?? "resp");
            writer.WriteString("object"u8, "chat.completion");
            writer.WriteNumber("created"u8, created);
            writer.WriteString("model"u8, NativeReply.String(response, "model") ?? "");
            writer.WriteStartArray("choices"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, 0);
            writer.WriteStartObject("message"u8);
            writer.WriteString("role"u8, "assistant");
            writer.WriteString("content"u8, text.ToString());
            if (calls.Count > 0)
            {
                writer.WriteStartArray("tool_calls"u8);
                foreach (var call in calls)
                {
                    writer.WriteStartObject();
                    writer.WriteString("id"u8, NativeReply.String(call, "call_id") ?? "");
                    writer.WriteString("type"u8, "function");
                    writer.WriteStartObject("function"u8);
                    writer.WriteString("name"u8, NativeReply.String(call, "name") ?? "");
                    writer.WriteString("arguments"u8, NativeReply.String(call, "arguments") ?? "{}");
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteString("finish_reason"u8, FinishReason(response, calls.Count > 0));
            writer.WriteEndObject();
            writer.WriteEndArray();
            WriteUsage(writer, response);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// The chunks one stream event becomes: content and tool-call deltas, and at the end the finish reason and usage. A
    /// <c>response.failed</c> or <c>error</c> event sets <see cref="Failure"/>, and gives the usage up to the failure when
    /// the provider reports it.
    /// </summary>
    public IReadOnlyList<byte[]> Translate(JsonElement @event)
    {
        var chunks = new List<byte[]>(1);
        switch (NativeReply.String(@event, "type"))
        {
            case "response.created" when @event.TryGetProperty("response", out var response):
                _id = NativeReply.String(response, "id") ?? _id;
                _model = NativeReply.String(response, "model") ?? _model;
                break;

            case "response.output_text.delta" when NativeReply.String(@event, "delta") is { Length: > 0 } delta:
                chunks.Add(Chunk(writer => writer.WriteString("content"u8, delta), null));
                break;

            case "response.output_item.added" when @event.TryGetProperty("item", out var item) && NativeReply.String(item, "type") == "function_call":
                var index = _toolIndexes.Count;
                _toolIndexes[NativeReply.Number(@event, "output_index")] = index;
                chunks.Add(Chunk(writer => ChatChunkJson.ToolCall(writer, index, NativeReply.String(item, "call_id") ?? "", NativeReply.String(item, "name") ?? "", ""), null));
                break;

            case "response.function_call_arguments.delta" when NativeReply.String(@event, "delta") is { Length: > 0 } arguments
                && _toolIndexes.TryGetValue(NativeReply.Number(@event, "output_index"), out var toolIndex):
                chunks.Add(Chunk(writer => ChatChunkJson.ToolCall(writer, toolIndex, null, null, arguments), null));
                break;

            case "response.completed" or "response.incomplete" when @event.TryGetProperty("response", out var final):
                Finished = true;
                chunks.Add(Chunk(_ => { }, FinishReason(final, _toolIndexes.Count > 0)));
                chunks.Add(Write(writer =>
                {
                    writer.WriteStartArray("choices"u8);
                    writer.WriteEndArray();
                    WriteUsage(writer, final);
                }));
                break;

            case "response.failed" or "error":
                var hasResponse = @event.TryGetProperty("response", out var failed) && failed.ValueKind == JsonValueKind.Object;
                var error = hasResponse && failed.TryGetProperty("error", out var e) ? NativeReply.String(e, "message") : NativeReply.String(@event, "message");
                Failure = error ?? "no message";
                if (hasResponse && failed.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                {
                    chunks.Add(Write(writer =>
                    {
                        writer.WriteStartArray("choices"u8);
                        writer.WriteEndArray();
                        WriteUsage(writer, failed);
                    }));
                }

                break;
        }

        return chunks;
    }

    private static string FinishReason(JsonElement response, bool toolCalls) => NativeReply.String(response, "status") switch
    {
        "incomplete" when response.TryGetProperty("incomplete_details", out var details) && NativeReply.String(details, "reason") == "content_filter" => "content_filter",
        "incomplete" => "length",
        _ => toolCalls ? "tool_calls" : "stop",
    };

    private static void WriteUsage(Utf8JsonWriter writer, JsonElement response)
    {
        if (response.ValueKind != JsonValueKind.Object || !response.TryGetProperty("usage", out var usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var input = NativeReply.Number(usage, "input_tokens");
        var output = NativeReply.Number(usage, "output_tokens");
        var cached = usage.TryGetProperty("input_tokens_details", out var details) ? NativeReply.Number(details, "cached_tokens") : 0;
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, input);
        writer.WriteNumber("completion_tokens"u8, output);
        writer.WriteNumber("total_tokens"u8, input + output);
        writer.WriteStartObject("prompt_tokens_details"u8);
        writer.WriteNumber("cached_tokens"u8, cached);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private byte[] Chunk(Action<Utf8JsonWriter> delta, string? finishReason) => ChatChunkJson.Chunk(_id, _model, created, delta, finishReason);

    private byte[] Write(Action<Utf8JsonWriter> body) => ChatChunkJson.Write(_id, _model, created, body);
}
