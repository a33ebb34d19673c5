using System.Text.Json;

namespace CostConsole.Routing.Providers.Anthropic;

/// <summary>
/// Turns an Anthropic Messages stream into chat completion chunks, event by event: <c>message_start</c> gives the role
/// chunk, <c>text_delta</c> content deltas, a <c>tool_use</c> block a tool call (its <c>input_json_delta</c>s the
/// arguments), <c>message_delta</c> the finish reason, and <c>message_stop</c> the usage chunk chat completions sends
/// last when asked for usage. One instance per stream.
/// </summary>
internal sealed class AnthropicChunks(long created)
{
    private readonly Dictionary<long, int> _toolIndexes = [];
    private string _id = "msg";
    private string _model = "";
    private AnthropicReply.Usage _usage;

    /// <summary>The chunks one event becomes: none for <c>ping</c>, a block's stop, or an empty delta.</summary>
    /// <exception cref="IOException">The provider sent an <c>error</c> event: the stream is cut.</exception>
    public IReadOnlyList<byte[]> Translate(JsonElement @event)
    {
        var chunks = new List<byte[]>(1);
        switch (AnthropicReply.String(@event, "type"))
        {
            case "message_start" when @event.TryGetProperty("message", out var message):
                _id = AnthropicReply.String(message, "id") ?? _id;
                _model = AnthropicReply.String(message, "model") ?? _model;
                if (message.ValueKind == JsonValueKind.Object && message.TryGetProperty("usage", out var startUsage) && startUsage.ValueKind == JsonValueKind.Object)
                {
                    _usage = AnthropicReply.Usage.Read(startUsage);
                }

                chunks.Add(Chunk(writer =>
                {
                    writer.WriteString("role"u8, "assistant");
                    writer.WriteString("content"u8, "");
                }, null));
                break;

            case "content_block_start" when @event.TryGetProperty("content_block", out var block):
                if (AnthropicReply.String(block, "type") == "tool_use")
                {
                    var index = _toolIndexes.Count;
                    _toolIndexes[Index(@event)] = index;
                    var id = AnthropicReply.String(block, "id") ?? "";
                    var name = AnthropicReply.String(block, "name") ?? "";
                    chunks.Add(Chunk(writer => ChatChunkJson.ToolCall(writer, index, id, name, ""), null));
                }
                else if (AnthropicReply.String(block, "type") == "text" && AnthropicReply.String(block, "text") is { Length: > 0 } first)
                {
                    chunks.Add(Chunk(writer => writer.WriteString("content"u8, first), null));
                }

                break;

            case "content_block_delta" when @event.TryGetProperty("delta", out var delta):
                switch (AnthropicReply.String(delta, "type"))
                {
                    case "text_delta" when AnthropicReply.String(delta, "text") is { Length: > 0 } text:
                        chunks.Add(Chunk(writer => writer.WriteString("content"u8, text), null));
                        break;
                    case "input_json_delta" when AnthropicReply.String(delta, "partial_json") is { Length: > 0 } json
                        && _toolIndexes.TryGetValue(Index(@event), out var toolIndex):
                        chunks.Add(Chunk(writer => ChatChunkJson.ToolCall(writer, toolIndex, null, null, json), null));
                        break;
                }

                break;

            case "message_delta":
                if (@event.TryGetProperty("usage", out var deltaUsage) && deltaUsage.ValueKind == JsonValueKind.Object)
                {
                    _usage = _usage.With(deltaUsage);
                }

                if (@event.TryGetProperty("delta", out var messageDelta) && AnthropicReply.String(messageDelta, "stop_reason") is { } stop)
                {
                    chunks.Add(Chunk(_ => { }, AnthropicReply.FinishReason(stop)));
                }

                break;

            case "message_stop":
                chunks.Add(UsageChunk());
                break;

            case "error":
                var error = @event.TryGetProperty("error", out var e) ? AnthropicReply.String(e, "message") : null;
                throw new IOException("The provider ended the stream with an error: " + (error ?? "no message"));
        }

        return chunks;
    }

    private static long Index(JsonElement @event) =>
        @event.TryGetProperty("index", out var index) && index.ValueKind == JsonValueKind.Number && index.TryGetInt64(out var n) ? n : 0;

    private byte[] Chunk(Action<Utf8JsonWriter> delta, string? finishReason) => ChatChunkJson.Chunk(_id, _model, created, delta, finishReason);

    private byte[] UsageChunk() => Write(writer =>
    {
        writer.WriteStartArray("choices"u8);
        writer.WriteEndArray();
        AnthropicReply.WriteUsage(writer, _usage);
    });

    private byte[] Write(Action<Utf8JsonWriter> body) => ChatChunkJson.Write(_id, _model, created, body);
}
