using System.Buffers;
using System.Text;
using System.Text.Json;
using CostConsole.Routing.Pricing;
using CostConsole.Routing.Requests;
using CostConsole.Routing.Tokens;

namespace CostConsole.Routing.Protocols.Messages;

/// <summary>One server-sent event of a Messages stream: written as <c>event: Name</c> then <c>data: Data</c>.</summary>
public sealed record MessagesStreamEvent(string Name, ReadOnlyMemory<byte> Data);

/// <summary>
/// Turns a routed model's chat completion chunks into Anthropic's stream events, in their order: <c>message_start</c>,
/// then per content block <c>content_block_start</c>, its deltas (<c>text_delta</c>, or <c>input_json_delta</c> for a
/// tool call's arguments) and <c>content_block_stop</c>, then <c>message_delta</c> (stop reason and usage) and <c>message_stop</c>.
/// </summary>
/// <param name="inputTokens">The prompt's tokens as the gateway counted them: <c>message_start</c> comes before the model reports usage.</param>
/// <param name="tokens">Counts the answer's tokens when the model's stream reports no usage.</param>
/// <param name="stopSequences">The request's <c>stop_sequences</c>: a "stop" finish that one of them ended is reported as <c>stop_sequence</c>.</param>
public sealed class MessagesStream(string messageId, long inputTokens, ITokenCounter tokens, IReadOnlyList<string>? stopSequences = null)
{
    private readonly StringBuilder _answer = new();
    private readonly StringBuilder _text = new();
    private string? _upstreamStop;
    private int _blocks;
    private BlockKind _open;
    private int _toolIndex = -1;
    private string? _finishReason;
    private bool _calledTools;
    private TokenUsage? _usage;

    private enum BlockKind
    {
        None,
        Text,
        ToolUse,
    }

    /// <summary>The first event, once the stream is committed to <paramref name="model"/>.</summary>
    public IReadOnlyList<MessagesStreamEvent> Start(string model) =>
    [
        Event("message_start", writer =>
        {
            writer.WriteStartObject("message"u8);
            writer.WriteString("id"u8, messageId);
            writer.WriteString("type"u8, "message");
            writer.WriteString("role"u8, "assistant");
            writer.WriteString("model"u8, model);
            writer.WriteStartArray("content"u8);
            writer.WriteEndArray();
            writer.WriteNull("stop_reason"u8);
            writer.WriteNull("stop_sequence"u8);
            MessagesResponse.WriteUsage(writer, new TokenUsage(inputTokens, 0, 0));
            writer.WriteEndObject();
        }),
    ];

    /// <summary>The events one chat completion chunk makes: none for a chunk without text, a tool call or usage.</summary>
    public IReadOnlyList<MessagesStreamEvent> Translate(ReadOnlySpan<byte> chunk)
    {
        var events = new List<MessagesStreamEvent>(2);
        var reader = new Utf8JsonReader(chunk);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return events;
        }

        if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
        {
            _usage = new TokenUsage(Number(usage, "prompt_tokens"), CachedTokens(usage), Number(usage, "completion_tokens"))
            {
                CacheWriteTokens = Number(usage, "cache_creation_input_tokens"),
            };
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
                if (_open != BlockKind.Text)
                {
                    Close(events);
                    events.Add(BlockStart(writer =>
                    {
                        writer.WriteString("type"u8, "text");
                        writer.WriteString("text"u8, "");
                    }));
                    _open = BlockKind.Text;
                }

                _answer.Append(text);
                _text.Append(text);
                events.Add(Delta(writer =>
                {
                    writer.WriteString("type"u8, "text_delta");
                    writer.WriteString("text"u8, text);
                }));
            }

            if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    ToolCall(call, events);
                }
            }
        }

        if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
        {
            _finishReason = finish.GetString();
            _upstreamStop = MessagesResponse.UpstreamStopReason(choice) ?? _upstreamStop;
        }

        return events;
    }

    /// <summary>The last events, once the answer is complete: the open block closes, then the stop reason and usage.</summary>
    public IReadOnlyList<MessagesStreamEvent> Finish()
    {
        var events = new List<MessagesStreamEvent>(3);
        Close(events);
        var usage = _usage ?? new TokenUsage(inputTokens, 0, tokens.CountTokens(_answer.ToString()));
        events.Add(Event("message_delta", writer =>
        {
            writer.WriteStartObject("delta"u8);
            var sequence = stopSequences is { Count: > 0 } ? MessagesResponse.StopSequence(_finishReason, _calledTools, stopSequences, _upstreamStop, _text.ToString()) : null;
            MessagesResponse.WriteStop(writer, _finishReason, _calledTools, sequence);
            writer.WriteEndObject();
            MessagesResponse.WriteUsage(writer, usage);
        }));
        events.Add(Event("message_stop", _ => { }));
        return events;
    }

    /// <summary>A tool call's delta: a new index opens a <c>tool_use</c> block, arguments go out as <c>input_json_delta</c>.</summary>
    private void ToolCall(JsonElement call, List<MessagesStreamEvent> events)
    {
        if (call.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var index = call.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var n) ? n : Math.Max(_toolIndex, 0);
        call.TryGetProperty("function", out var function);
        var hasFunction = function.ValueKind == JsonValueKind.Object;
        if (_open != BlockKind.ToolUse || index != _toolIndex)
        {
            Close(events);
            var id = call.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String ? idElement.GetString()! : "toolu_" + Guid.NewGuid().ToString("N");
            var name = hasFunction && function.TryGetProperty("name", out var nameElement) && nameElement.ValueKind == JsonValueKind.String ? nameElement.GetString()! : "";
            events.Add(BlockStart(writer =>
            {
                writer.WriteString("type"u8, "tool_use");
                writer.WriteString("id"u8, id);
                writer.WriteString("name"u8, name);
                writer.WriteStartObject("input"u8);
                writer.WriteEndObject();
            }));
            _open = BlockKind.ToolUse;
            _toolIndex = index;
            _calledTools = true;
        }

        if (hasFunction && function.TryGetProperty("arguments", out var arguments) && arguments.ValueKind == JsonValueKind.String && arguments.GetString() is { Length: > 0 } json)
        {
            _answer.Append(json);
            events.Add(Delta(writer =>
            {
                writer.WriteString("type"u8, "input_json_delta");
                writer.WriteString("partial_json"u8, json);
            }));
        }
    }

    private void Close(List<MessagesStreamEvent> events)
    {
        if (_open == BlockKind.None)
        {
            return;
        }

        var index = _blocks - 1;
        events.Add(Event("content_block_stop", writer => writer.WriteNumber("index"u8, index)));
        _open = BlockKind.None;
    }

    private MessagesStreamEvent BlockStart(Action<Utf8JsonWriter> block)
    {
        var index = _blocks++;
        return Event("content_block_start", writer =>
        {
            writer.WriteNumber("index"u8, index);
            writer.WriteStartObject("content_block"u8);
            block(writer);
            writer.WriteEndObject();
        });
    }

    private MessagesStreamEvent Delta(Action<Utf8JsonWriter> delta)
    {
        var index = _blocks - 1;
        return Event("content_block_delta", writer =>
        {
            writer.WriteNumber("index"u8, index);
            writer.WriteStartObject("delta"u8);
            delta(writer);
            writer.WriteEndObject();
        });
    }

    /// <summary>An event whose data is <c>{"type": name, …}</c>.</summary>
    private static MessagesStreamEvent Event(string name, Action<Utf8JsonWriter> body)
    {
        using var buffer = new PooledBuffer(1024);
        using (var writer = new Utf8JsonWriter(buffer, MessagesResponse.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, name);
            body(writer);
            writer.WriteEndObject();
        }

        return new MessagesStreamEvent(name, buffer.ToArray());
    }

    private static long Number(JsonElement usage, string name) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : 0;

    private static long CachedTokens(JsonElement usage) =>
        usage.TryGetProperty("prompt_tokens_details", out var details) && details.ValueKind == JsonValueKind.Object ? Number(details, "cached_tokens") : 0;
}
