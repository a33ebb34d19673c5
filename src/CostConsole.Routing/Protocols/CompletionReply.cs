using System.Buffers;
using System.Text.Json;

namespace CostConsole.Routing.Protocols;

/// <summary>Where a string value lies in a completion's bytes: its text between the quotes, still escaped when <see cref="Escaped"/>.</summary>
internal readonly record struct JsonSlice(int Start, int Length, bool Escaped)
{
    public bool IsEmpty => Length == 0;

    public static JsonSlice Of(ref Utf8JsonReader reader) => new((int)reader.TokenStartIndex + 1, reader.ValueSpan.Length, reader.ValueIsEscaped);
}

/// <summary>One tool call of a completion's message: its id, its function's name and arguments (null where absent or not a string).</summary>
internal readonly record struct ToolCallSlice(JsonSlice? Id, bool HasFunction, JsonSlice? Name, JsonSlice? Arguments);

/// <summary>
/// What a Responses or Messages answer is written from, read from a chat completion in one pass over its bytes: the model,
/// the first choice's finish reason and message (text, refusal, tool calls) and the reasoning tokens, as places in the
/// completion rather than an object model, so the answer is written straight from them. Places are only meaningful
/// with the completion they were read from.
/// </summary>
internal sealed class CompletionReply
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    public JsonSlice? Model { get; private set; }

    public string? FinishReason { get; private set; }

    /// <summary>The stop string a vLLM-style server names in the choice's <c>stop_reason</c> (a number there is a token id).</summary>
    public string? UpstreamStopReason { get; private set; }

    public bool HasMessage { get; private set; }

    public JsonSlice? Content { get; private set; }

    public JsonSlice? Refusal { get; private set; }

    /// <summary>The message's <c>tool_calls</c> that are objects, when it has an array of them.</summary>
    public List<ToolCallSlice>? ToolCalls { get; private set; }

    public long ReasoningTokens { get; private set; }

    /// <exception cref="JsonException">The completion is not JSON.</exception>
    public static CompletionReply Read(ReadOnlySpan<byte> completion)
    {
        var reply = new CompletionReply();
        var reader = new Utf8JsonReader(completion, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return reply;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                reader.Read();
                reply.Model = reader.TokenType == JsonTokenType.String ? JsonSlice.Of(ref reader) : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("choices"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    reply.ReadChoices(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                reply.ReasoningTokens = reader.TokenType == JsonTokenType.StartObject ? ReadReasoningTokens(ref reader) : 0;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return reply;
    }

    /// <summary>The text of <paramref name="slice"/> of <paramref name="completion"/>, unescaped.</summary>
    public static string Text(ReadOnlySpan<byte> completion, JsonSlice slice)
    {
        var reader = Reader(completion, slice);
        return reader.GetString()!;
    }

    /// <summary>Writes <paramref name="slice"/> as the string value of <paramref name="name"/>, unescaping it only when the completion escaped it.</summary>
    public static void WriteString(Utf8JsonWriter writer, ReadOnlySpan<byte> name, ReadOnlySpan<byte> completion, JsonSlice slice)
    {
        var raw = completion.Slice(slice.Start, slice.Length);
        if (!slice.Escaped)
        {
            writer.WriteString(name, raw);
            return;
        }

        var rented = ArrayPool<byte>.Shared.Rent(slice.Length);
        try
        {
            var reader = Reader(completion, slice);
            var length = reader.CopyString(rented);
            writer.WriteString(name, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>A reader positioned on the string at <paramref name="slice"/>.</summary>
    private static Utf8JsonReader Reader(ReadOnlySpan<byte> completion, JsonSlice slice)
    {
        var reader = new Utf8JsonReader(completion.Slice(slice.Start - 1, slice.Length + 2));
        reader.Read();
        return reader;
    }

    /// <summary>Reads the first choice and skips the others; the reader ends on the array's end.</summary>
    private void ReadChoices(ref Utf8JsonReader reader)
    {
        var first = true;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (first && reader.TokenType == JsonTokenType.StartObject)
            {
                ReadChoice(ref reader);
            }
            else
            {
                reader.Skip();
            }

            first = false;
        }
    }

    private void ReadChoice(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                FinishReason = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("stop_reason"u8))
            {
                reader.Read();
                UpstreamStopReason = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                HasMessage = reader.TokenType == JsonTokenType.StartObject;
                if (HasMessage)
                {
                    ReadMessage(ref reader);
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ReadMessage(ref Utf8JsonReader reader)
    {
        Content = null;
        Refusal = null;
        ToolCalls = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                Content = reader.TokenType == JsonTokenType.String ? JsonSlice.Of(ref reader) : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("refusal"u8))
            {
                reader.Read();
                Refusal = reader.TokenType == JsonTokenType.String ? JsonSlice.Of(ref reader) : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartArray)
                {
                    ToolCalls = ReadToolCalls(ref reader);
                }
                else
                {
                    ToolCalls = null;
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private static List<ToolCallSlice> ReadToolCalls(ref Utf8JsonReader reader)
    {
        var calls = new List<ToolCallSlice>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            JsonSlice? id = null, name = null, arguments = null;
            var hasFunction = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? JsonSlice.Of(ref reader) : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    hasFunction = reader.TokenType == JsonTokenType.StartObject;
                    name = arguments = null;
                    if (!hasFunction)
                    {
                        reader.Skip();
                        continue;
                    }

                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var isName = reader.ValueTextEquals("name"u8);
                        var isArguments = !isName && reader.ValueTextEquals("arguments"u8);
                        reader.Read();
                        if (isName)
                        {
                            name = reader.TokenType == JsonTokenType.String ? JsonSlice.Of(ref reader) : null;
                        }
                        else if (isArguments)
                        {
                            arguments = reader.TokenType == JsonTokenType.String ? JsonSlice.Of(ref reader) : null;
                        }

                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            calls.Add(new ToolCallSlice(id, hasFunction, name, arguments));
        }

        return calls;
    }

    /// <summary><c>usage.completion_tokens_details.reasoning_tokens</c>, or 0; the reader ends on the usage object's end.</summary>
    private static long ReadReasoningTokens(ref Utf8JsonReader reader)
    {
        long tokens = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("completion_tokens_details"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                tokens = 0;
                continue;
            }

            tokens = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isReasoning = reader.ValueTextEquals("reasoning_tokens"u8);
                reader.Read();
                if (isReasoning)
                {
                    tokens = reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var value) ? value : 0;
                }

                reader.Skip();
            }
        }

        return tokens;
    }
}
